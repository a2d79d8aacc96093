# Alerts: every finished job logs one "job ended" line whose severity follows
# its status (internal/engine/finish.go). A log-based metric counts them by
# status; alert policies fire on held, failed and partial jobs and on any
# message reaching a dead-letter topic, and notify the email channels of
# alert_emails.

variable "alert_emails" {
  type        = list(string)
  description = "Email addresses alerted when a job is held, fails or is partial, and when messages are dead-lettered. Empty: the policies exist but notify nobody."
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@,\\s]+@[^@,\\s]+$", e))])
    error_message = "alert_emails must be email addresses."
  }
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  display_name = "${var.name_prefix} alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }

  depends_on = [google_project_service.enabled]
}

resource "google_logging_metric" "jobs_ended" {
  name        = "${var.name_prefix}/jobs_ended"
  description = "groupsync jobs that ended, by status (the functions' \"job ended\" log line)."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^${var.name_prefix}-\" AND jsonPayload.message=\"job ended\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "status"
      value_type  = "STRING"
      description = "done, held, partial or failed"
    }
  }
  label_extractors = {
    status = "EXTRACT(jsonPayload.status)"
  }

  depends_on = [google_project_service.enabled]
}

locals {
  # The job statuses that need an operator, and what to tell them.
  job_alerts = {
    held    = "A groupsync job is held: its plan exceeds a deletion limit and applies nothing until approved. Review it on the Sync site (or `groupsync jobs show ID --remote URL`) and approve it there."
    failed  = "A groupsync job failed. Its page lists the errors (`groupsync jobs show ID --remote URL`)."
    partial = "A groupsync job finished with failed or incomplete groups. Its page lists them; the next run retries."
  }
  alert_channels = [for c in google_monitoring_notification_channel.email : c.id]
}

resource "google_monitoring_alert_policy" "job" {
  for_each = local.job_alerts

  display_name = "${var.name_prefix} job ${each.key}"
  combiner     = "OR"

  conditions {
    display_name = "a job ended ${each.key}"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.jobs_ended.name}\" AND metric.label.status=\"${each.key}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    content   = each.value
    mime_type = "text/markdown"
  }
  alert_strategy {
    auto_close = "86400s"
  }
  notification_channels = local.alert_channels
}

# A message on a dead-letter topic is a step or change event that failed
# max_delivery_attempts times: its job is stuck until it is replayed
# (docs/deploy.md, "Dead letters").
resource "google_monitoring_alert_policy" "dead_letter" {
  display_name = "${var.name_prefix} dead letters"
  combiner     = "OR"

  conditions {
    display_name = "messages reached a dead-letter topic"
    condition_threshold {
      filter          = "resource.type=\"pubsub_topic\" AND metric.type=\"pubsub.googleapis.com/topic/send_message_operation_count\" AND resource.label.topic_id=one_of(${join(",", [for t in google_pubsub_topic.dead_letter : "\"${t.name}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    content   = "Messages reached a groupsync dead-letter topic: a step failed on every delivery. Read them from the topic, fix the cause, and replay them (docs/deploy.md, \"Dead letters\")."
    mime_type = "text/markdown"
  }
  alert_strategy {
    auto_close = "86400s"
  }
  notification_channels = local.alert_channels
}
