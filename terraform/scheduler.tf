resource "google_cloud_scheduler_job" "run" {
  name        = "${var.name_prefix}-run"
  description = "Starts a groupsync run by publishing to ${local.topics.runs}."
  region      = var.region
  schedule    = local.schedule
  time_zone   = var.schedule_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.main["runs"].id
    data       = base64encode("{}")
  }

  depends_on = [google_project_service.enabled]
}
