output "project_id" {
  description = "The project groupsync is deployed to."
  value       = var.project_id
}

output "sync_url" {
  description = "URL of the Sync HTTP function. Call it with an ID token whose audience is this URL."
  value       = google_cloudfunctions2_function.sync.url
}

output "sync_audience" {
  description = "The ID-token audience the Sync function expects (GROUPSYNC_AUDIENCE)."
  value       = local.sync_audience
}

output "service_accounts" {
  description = "Service account emails by role."
  value = {
    dispatch = google_service_account.dispatch.email
    worker   = google_service_account.worker.email
    api      = google_service_account.api.email
    trigger  = google_service_account.trigger.email
    build    = google_service_account.build.email
    dwd      = google_service_account.dwd.email
  }
}

output "dwd_service_account" {
  description = "Email of the domain-wide delegation service account (the config's service_account for keyless DWD)."
  value       = google_service_account.dwd.email
}

output "dwd_client_id" {
  description = "Client ID to authorise in the Google Admin console: Security > Access and data control > API controls > Domain-wide delegation."
  value       = google_service_account.dwd.unique_id
}

output "dwd_scopes" {
  description = "OAuth scopes to grant that client ID, comma-separated as the Admin console wants them."
  value       = join(",", var.dwd_scopes)
}

output "dwd_key_secret" {
  description = "Secret to hold the DWD service-account key (null with keyless_dwd)."
  value       = var.keyless_dwd ? null : google_secret_manager_secret.dwd_key[0].id
}

output "target_secrets" {
  description = "Secret Manager secrets created for target tokens, by secret ID."
  value       = { for k, s in google_secret_manager_secret.target : k => s.id }
}

output "dead_letter_topics" {
  description = "Dead-letter topic of each subscription, by the topic it serves."
  value       = { for k, t in google_pubsub_topic.dead_letter : k => t.id }
}

output "topics" {
  description = "Pub/Sub topics by role."
  value       = { for k, t in google_pubsub_topic.main : k => t.id }
}

output "pubsub_service_agent" {
  description = "Pub/Sub service agent; it moves undeliverable messages to the dead-letter topics."
  value       = local.pubsub_agent
}
