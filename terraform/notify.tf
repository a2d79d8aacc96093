# Job notices (functions/notify.go): every finished job publishes a JobEvent to
# groupsync-jobs and, when webhook_secret_id is set, posts a text summary to the
# chat webhook whose URL that secret holds. The URL is a credential, so it
# lives in Secret Manager (add it with `gcloud secrets versions add`), never in
# variables or state.

variable "webhook_secret_id" {
  type        = string
  description = "Secret Manager secret ID holding a Slack or Google Chat incoming-webhook URL; finished jobs post their summary there. Empty: no webhook."
  default     = ""

  validation {
    condition     = var.webhook_secret_id == "" || can(regex("^[A-Za-z0-9_-]{1,255}$", var.webhook_secret_id))
    error_message = "webhook_secret_id must be a Secret Manager secret ID (letters, digits, - and _)."
  }
}

variable "site_url" {
  type        = string
  description = "Where operators open the Sync function's site (e.g. http://localhost:8080 behind `gcloud run services proxy` or `groupsync console`); job events and webhook posts link each job's page under it. Empty: no links."
  default     = ""

  validation {
    condition     = var.site_url == "" || can(regex("^https?://", var.site_url))
    error_message = "site_url must be an http(s) URL."
  }
}

resource "google_pubsub_topic" "jobs" {
  name                       = "${var.name_prefix}-jobs"
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret" "webhook" {
  count = var.webhook_secret_id == "" ? 0 : 1

  secret_id = var.webhook_secret_id
  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Any function may end a job (finish runs in Dispatch, a failed listing in
# Dispatch, a reaped job wherever the reaper runs), so every runtime reads it.
resource "google_secret_manager_secret_iam_member" "webhook_accessor" {
  for_each = var.webhook_secret_id == "" ? {} : local.secret_readers

  secret_id = google_secret_manager_secret.webhook[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value
}

resource "google_pubsub_topic_iam_member" "jobs_publisher" {
  for_each = local.secret_readers

  topic  = google_pubsub_topic.jobs.name
  role   = "roles/pubsub.publisher"
  member = each.value
}

locals {
  notify_env = merge(
    var.webhook_secret_id == "" ? {} : {
      GROUPSYNC_WEBHOOK = "secret://${google_secret_manager_secret.webhook[0].id}/versions/latest"
    },
    var.site_url == "" ? {} : { GROUPSYNC_SITE_URL = var.site_url },
  )
}
