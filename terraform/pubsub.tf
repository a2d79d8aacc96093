resource "google_pubsub_topic" "main" {
  for_each = local.topics

  name = each.value

  depends_on = [google_project_service.enabled]
}

# One dead-letter topic per subscription. The topics retain messages
# themselves, so a dead letter is kept for inspection or replay even with no
# subscription attached (see docs/deploy.md, "Dead letters").
resource "google_pubsub_topic" "dead_letter" {
  for_each = local.dead_letter_topics

  name                       = each.value
  message_retention_duration = "${var.dead_letter_retention_days * 86400}s"

  depends_on = [google_project_service.enabled]
}

locals {
  dead_letter_topics = merge(
    # The subscriptions Eventarc creates for the Dispatch and SyncGroup
    # triggers; scripts/deploy.sh attaches these topics to them.
    {
      runs   = "${var.name_prefix}-runs-dead-letter"
      groups = "${var.name_prefix}-groups-dead-letter"
    },
    var.changes_subscription ? { changes = "${var.name_prefix}-changes-dead-letter" } : {},
  )
}

# Pub/Sub's service agent moves undeliverable messages: it must publish to the
# dead-letter topics and acknowledge on the source subscriptions.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = google_pubsub_topic.dead_letter

  topic  = each.value.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription" "changes" {
  count = var.changes_subscription ? 1 : 0

  name  = "${var.name_prefix}-changes-pull"
  topic = google_pubsub_topic.main["changes"].id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = "" # never expire for inactivity
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter["changes"].id
    max_delivery_attempts = var.max_delivery_attempts
  }
}

resource "google_pubsub_subscription_iam_member" "changes_dead_letter_subscriber" {
  count = var.changes_subscription ? 1 : 0

  subscription = google_pubsub_subscription.changes[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
