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
    # The push subscriptions of Dispatch and SyncGroup (below).
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

# Dispatch and SyncGroup get their events by push, with the trigger account's
# OIDC token. The functions framework turns a push body into the CloudEvent
# Eventarc would send when the URL path names the topic
# (projects/P/topics/T). A message that keeps failing moves to the
# subscription's dead-letter topic after max_delivery_attempts.
locals {
  push_functions = {
    runs   = google_cloudfunctions2_function.dispatch
    groups = google_cloudfunctions2_function.sync_group
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_functions

  name  = "${var.name_prefix}-${each.key}-push"
  topic = google_pubsub_topic.main[each.key].id

  # A step may run for the function's whole timeout before it acknowledges.
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = "" # never expire for inactivity
  }

  push_config {
    push_endpoint = "${each.value.url}/${google_pubsub_topic.main[each.key].id}"
    oidc_token {
      service_account_email = google_service_account.trigger.email
      audience              = each.value.url
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }
}

# The service agent acknowledges a dead-lettered message on the source
# subscription.
resource "google_pubsub_subscription_iam_member" "push_dead_letter_subscriber" {
  for_each = google_pubsub_subscription.push

  subscription = each.value.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
