# The module's outputs that scripts/deploy.sh reads after an apply.

output "project_id" {
  value = module.groupsync.project_id
}

output "sync_url" {
  value = module.groupsync.sync_url
}

output "sync_audience" {
  value = module.groupsync.sync_audience
}

output "dwd_service_account" {
  value = module.groupsync.dwd_service_account
}

output "dwd_client_id" {
  value = module.groupsync.dwd_client_id
}

output "dwd_scopes" {
  value = module.groupsync.dwd_scopes
}

output "dwd_key_secret" {
  value = module.groupsync.dwd_key_secret
}

output "target_secrets" {
  value = module.groupsync.target_secrets
}

output "dead_letter_topics" {
  value = module.groupsync.dead_letter_topics
}

output "pubsub_service_agent" {
  value = module.groupsync.pubsub_service_agent
}
