# Every setting, with the defaults or typical values: copy this directory, set
# your values, then run
#   scripts/deploy.sh path/to/your/copy
# Relative config paths are resolved from the repository root.

provider "google" {
  project = "my-project"
  region  = "europe-west1"

  # Labels on every resource that takes labels.
  default_labels = {
    app  = "groupsync"
    team = "it"
  }
}

module "groupsync" {
  # From a copy outside this repository:
  #   source = "github.com/groupsync/groupsync//terraform?ref=vX.Y.Z"
  source = "../../terraform"

  # Prefix of every name the deployment creates; a second deployment in the
  # same project needs another one (see examples/two-deployments).
  name_prefix        = "groupsync"
  firestore_database = "(default)"

  project_id = "my-project"
  region     = "europe-west1"

  # The groupsync config, passed whole to the functions. Its `schedule` drives
  # Cloud Scheduler unless `schedule` below overrides it.
  config_file        = "examples/cloud.yaml"
  schedule           = "0 * * * *"
  schedule_time_zone = "Europe/Paris"

  # Firestore (default) database. Set create_firestore_database = false if the
  # project already has one in Native mode.
  create_firestore_database = true
  firestore_location        = "eur3"

  # Callers of the Sync HTTP function: IAM invoker on the function, and (for
  # user: and serviceAccount: principals) the emails the function accepts in the
  # caller's ID token. Public access is refused.
  invoker_principals = [
    "user:admin@example.com",
    "group:groupsync-operators@example.com",
    "serviceAccount:ci@my-project.iam.gserviceaccount.com",
  ]
  # Members of a group principal pass IAM but not the email check; list them:
  allowed_callers = [
    "admin@example.com",
    "alice@example.com",
    "ci@my-project.iam.gserviceaccount.com",
  ]

  # Domain-wide delegation. Keyless (signJwt as groupsync-dwd) is preferred; set
  # false to use a key stored in the groupsync-dwd-key secret instead.
  keyless_dwd = true
  dwd_scopes = [
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    # Only when a rule writes to a Google Workspace target:
    "https://www.googleapis.com/auth/admin.directory.group",
  ]

  # Secret Manager secrets for target tokens (created empty).
  target_secret_ids = ["groupsync-app-scim-token"]

  # Functions.
  go_runtime               = "go126"
  dispatch_memory          = "256Mi"
  dispatch_timeout_seconds = 540
  worker_memory            = "1Gi"
  worker_timeout_seconds   = 540
  worker_max_instances     = 20
  api_memory               = "256Mi"
  api_timeout_seconds      = 300

  # Retention and retries.
  job_ttl_days               = 90
  max_delivery_attempts      = 10
  dead_letter_retention_days = 14

  # A pull subscription on groupsync-changes for a downstream reader.
  changes_subscription = true

  # Alerts on held, failed and partial jobs and on dead letters, by email.
  alert_emails = ["it-oncall@example.com"]
  # A Slack or Google Chat webhook URL stored in this secret gets each job's
  # summary; the job pages are linked under site_url.
  webhook_secret_id = "groupsync-chat-webhook"
  site_url          = "http://localhost:8080"

  # The Go module to build the functions from (default: this repository).
  source_dir = ""
}
