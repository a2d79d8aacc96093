# The hint poll: a cheap run every minute alongside the scheduled run
# (scheduler.tf). Every run decides for itself whether it reads in full:
# a rule on a Workspace source with the audit scope runs on change hints
# (the groups listing, the audit log, and only the groups and users it
# names) until its rules[].full_every (default 24h) is due, so a change in
# Google reaches the target within minutes and the scheduled run stays the
# full reconcile's safety net. A poll (trigger "poll") that finds a rule
# still running skips it with a note, not an error, so a long full
# reconcile does not page anyone once a minute.
resource "google_cloud_scheduler_job" "hint_poll" {
  count = var.hint_poll_schedule == "" ? 0 : 1

  name        = "${var.name_prefix}-hint-poll"
  description = "Polls Workspace change hints by publishing a run trigger to ${local.topics.runs}."
  region      = var.region
  schedule    = var.hint_poll_schedule
  time_zone   = var.schedule_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.main["runs"].id
    data       = base64encode(jsonencode({ trigger = "poll" }))
  }

  depends_on = [google_project_service.enabled]
}
