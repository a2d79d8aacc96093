# A configuration that breaks every rule, for the checks' own tests.
# roles/owner in a comment is not a grant.

locals {
  topics = { runs = "bad-runs" }
  role   = "roles/editor"
}

resource "google_project_iam_member" "too_much" {
  project = "p"
  role    = "roles/owner"
  member  = "user:a@example.com"
}

resource "google_pubsub_topic" "main" {
  for_each = local.topics
  name     = each.value
}

resource "google_pubsub_subscription" "no_dlq" {
  name  = "no-dlq"
  topic = google_pubsub_topic.main["runs"].id
}

resource "google_pubsub_subscription" "with_dlq" {
  name  = "with-dlq"
  topic = google_pubsub_topic.main["runs"].id
  dead_letter_policy {
    dead_letter_topic = "projects/p/topics/dlq"
  }
}

resource "google_cloudfunctions2_function" "sync" {
  name = "sync"
  build_config {
    entry_point = "Sync"
  }
}

resource "google_cloudfunctions2_function" "worker" {
  name = "worker"
  build_config {
    entry_point = "Work"
  }
  event_trigger {
    pubsub_topic = google_pubsub_topic.main["runs"].id
    retry_policy = "RETRY_POLICY_DO_NOT_RETRY"
  }
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  name   = google_cloudfunctions2_function.sync.name
  role   = "roles/run.invoker"
  member = "allUsers"
}

resource "google_cloudfunctions2_function_iam_member" "everyone" {
  for_each       = toset(concat(var.invoker_principals, var.others))
  cloud_function = google_cloudfunctions2_function.sync.name
  role           = "roles/cloudfunctions.invoker"
  member         = each.value
}

resource "google_cloud_run_v2_service_iam_binding" "authn" {
  name    = google_cloudfunctions2_function.worker.name
  role    = "roles/run.invoker"
  members = [for p in ["allAuthenticatedUsers"] : p]
}

variable "invoker_principals" {
  type = list(string)
}
