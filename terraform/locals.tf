locals {
  config_path = startswith(var.config_file, "/") ? var.config_file : "${local.repo_root}/${var.config_file}"
  config_yaml = file(local.config_path)
  config      = yamldecode(local.config_yaml)

  schedule = var.schedule != "" ? var.schedule : try(tostring(local.config.schedule), "*/30 * * * *")

  repo_root          = abspath("${path.module}/..")
  source_dir         = var.source_dir == "" ? local.repo_root : startswith(var.source_dir, "/") ? var.source_dir : "${local.repo_root}/${var.source_dir}"
  firestore_location = var.firestore_location != "" ? var.firestore_location : var.region

  # Names the functions and the runtime share (the contract with functions/).
  topics = {
    runs    = "${var.name_prefix}-runs"
    groups  = "${var.name_prefix}-groups"
    changes = "${var.name_prefix}-changes"
  }

  # The Sync function's cloudfunctions.net URL is fixed by region, project and
  # name, so it can be its own expected ID-token audience without a cycle.
  sync_name     = "${var.name_prefix}-sync"
  sync_audience = "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.sync_name}"

  allowed_callers = length(var.allowed_callers) > 0 ? var.allowed_callers : [
    for p in var.invoker_principals : split(":", p)[1]
    if startswith(p, "user:") || startswith(p, "serviceAccount:")
  ]

  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  common_env = merge({
    GOOGLE_CLOUD_PROJECT   = var.project_id
    GROUPSYNC_CONFIG_YAML  = local.config_yaml
    GROUPSYNC_JOB_TTL_DAYS = tostring(var.job_ttl_days)
    GROUPSYNC_TOPIC_PREFIX = var.name_prefix
    LOG_EXECUTION_ID       = "true"
  }, local.notify_env)
}

data "google_project" "this" {
  project_id = var.project_id
}
