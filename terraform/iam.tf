# One identity per role, each with only what that role does. No primitive
# roles (owner, editor, viewer) anywhere: internal/tfcheck fails the build if
# one appears.

resource "google_service_account" "dispatch" {
  account_id   = "${var.name_prefix}-dispatch"
  display_name = "${var.name_prefix} Dispatch function"
  description  = "Lists groups in scope, writes the job and publishes one task per group."
}

resource "google_service_account" "worker" {
  account_id   = "${var.name_prefix}-worker"
  display_name = "${var.name_prefix} SyncGroup function"
  description  = "Syncs one group: reads the directory and the target, applies the plan."
}

resource "google_service_account" "api" {
  account_id   = "${var.name_prefix}-api"
  display_name = "${var.name_prefix} Sync HTTP function"
  description  = "Starts manual runs and serves job status."
}

resource "google_service_account" "trigger" {
  account_id   = "${var.name_prefix}-trigger"
  display_name = "${var.name_prefix} event pushes"
  description  = "Identity Pub/Sub pushes to Dispatch and SyncGroup with."
}

resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "${var.name_prefix} function builds"
  description  = "Cloud Build identity that builds the function source."
}

# The identity Google Workspace trusts: its client ID is authorised for
# domain-wide delegation in the Admin console. It holds no project roles, so
# its key (when keyless_dwd is false) grants nothing but the delegated scopes.
resource "google_service_account" "dwd" {
  account_id   = "${var.name_prefix}-dwd"
  display_name = "${var.name_prefix} domain-wide delegation"
  description  = "Authorised in the Google Admin console for domain-wide delegation; no project roles."
}

locals {
  # Functions that read the directory through domain-wide delegation.
  directory_readers = {
    dispatch = google_service_account.dispatch.member
    worker   = google_service_account.worker.member
  }
}

# Firestore has no per-collection IAM; datastore.user is the narrowest role
# that reads and writes documents.
resource "google_project_iam_member" "firestore_user" {
  for_each = {
    dispatch = google_service_account.dispatch.member
    worker   = google_service_account.worker.member
  }

  project = var.project_id
  role    = "roles/datastore.user"
  member  = each.value
}

# Sync only reads jobs: whatever it starts or approves goes through the runs
# topic, to functions that do not face the internet.
resource "google_project_iam_member" "firestore_viewer" {
  project = var.project_id
  role    = "roles/datastore.viewer"
  member  = google_service_account.api.member
}

# Who publishes where: Sync starts runs, Dispatch fans out, SyncGroup reports
# membership changes.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = {
    runs    = google_service_account.api.member
    groups  = google_service_account.dispatch.member
    changes = google_service_account.worker.member
  }

  topic  = google_pubsub_topic.main[each.key].name
  role   = "roles/pubsub.publisher"
  member = each.value
}

# Keyless DWD: the functions sign the delegation JWT as the DWD account
# (iamcredentials signJwt), which needs Token Creator on that account only.
resource "google_service_account_iam_member" "dwd_token_creator" {
  for_each = var.keyless_dwd ? local.directory_readers : {}

  service_account_id = google_service_account.dwd.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = each.value
}

# Pub/Sub pushes to the event functions as the trigger account.
resource "google_cloud_run_v2_service_iam_member" "trigger_invoker" {
  for_each = {
    dispatch = google_cloudfunctions2_function.dispatch.name
    worker   = google_cloudfunctions2_function.sync_group.name
  }

  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

# Pub/Sub mints the OIDC token of each push to the functions as the trigger
# account.
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  service_account_id = google_service_account.trigger.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent

  depends_on = [google_project_service.enabled]
}

# Only the listed principals may call Sync; it also checks the ID token's
# audience and email itself. Never allUsers or allAuthenticatedUsers (the
# variable's validation and internal/tfcheck both refuse them).
resource "google_cloud_run_v2_service_iam_member" "sync_invoker" {
  for_each = toset(var.invoker_principals)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.sync.name
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_cloudfunctions2_function_iam_member" "sync_invoker" {
  for_each = toset(var.invoker_principals)

  project        = var.project_id
  location       = var.region
  cloud_function = google_cloudfunctions2_function.sync.name
  role           = "roles/cloudfunctions.invoker"
  member         = each.value
}

# The function build: write logs, push the image, read the uploaded source.
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
    "roles/storage.objectViewer",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

