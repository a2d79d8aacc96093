# Entry point names are the contract with functions/ (internal/tfcheck checks
# them against the functions.CloudEvent / functions.HTTP registrations).
# Dispatch and SyncGroup are CloudEvent functions reached by the Pub/Sub push
# subscriptions in pubsub.tf, not by Eventarc triggers: Terraform can give a
# subscription it owns a dead-letter policy, and cannot for the subscription
# Eventarc creates.

locals {
  # GOMEMLIMIT at 90% of each function's memory: the Go runtime collects
  # harder as a large group's sync nears the limit, instead of the
  # instance being killed at 100%.
  gomemlimit = {
    for name, mem in {
      dispatch = var.dispatch_memory
      worker   = var.worker_memory
      api      = var.api_memory
    } : name => format("%dMiB", floor(tonumber(regex("^[0-9]+", mem)) * (endswith(mem, "Gi") ? 1024 : 1) * 0.9))
  }

  build_config = {
    runtime         = var.go_runtime
    bucket          = google_storage_bucket.source.name
    object          = google_storage_bucket_object.source.name
    service_account = google_service_account.build.id
  }
}

resource "google_cloudfunctions2_function" "dispatch" {
  name        = "${var.name_prefix}-dispatch"
  location    = var.region
  description = "Starts a run: lists groups in scope, writes the job, publishes one task per group."

  build_config {
    runtime         = local.build_config.runtime
    entry_point     = "Dispatch"
    service_account = local.build_config.service_account
    source {
      storage_source {
        bucket = local.build_config.bucket
        object = local.build_config.object
      }
    }
  }

  service_config {
    available_memory      = var.dispatch_memory
    timeout_seconds       = var.dispatch_timeout_seconds
    max_instance_count    = 1
    service_account_email = google_service_account.dispatch.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    environment_variables = merge(local.common_env, { GOMEMLIMIT = local.gomemlimit.dispatch })
  }

  depends_on = [google_project_service.enabled, google_project_iam_member.build]
}

resource "google_cloudfunctions2_function" "sync_group" {
  name        = "${var.name_prefix}-sync-group"
  location    = var.region
  description = "Syncs one group of one rule."

  build_config {
    runtime         = local.build_config.runtime
    entry_point     = "SyncGroup"
    service_account = local.build_config.service_account
    source {
      storage_source {
        bucket = local.build_config.bucket
        object = local.build_config.object
      }
    }
  }

  service_config {
    available_memory      = var.worker_memory
    timeout_seconds       = var.worker_timeout_seconds
    max_instance_count    = var.worker_max_instances
    service_account_email = google_service_account.worker.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    environment_variables = merge(local.common_env, { GOMEMLIMIT = local.gomemlimit.worker })
  }

  depends_on = [google_project_service.enabled, google_project_iam_member.build]
}

resource "google_cloudfunctions2_function" "sync" {
  name        = local.sync_name
  location    = var.region
  description = "HTTP API: start a manual run, show jobs. Callers need IAM invoker and an ID token for ${local.sync_audience}."

  build_config {
    runtime         = local.build_config.runtime
    entry_point     = "Sync"
    service_account = local.build_config.service_account
    source {
      storage_source {
        bucket = local.build_config.bucket
        object = local.build_config.object
      }
    }
  }

  service_config {
    available_memory      = var.api_memory
    timeout_seconds       = var.api_timeout_seconds
    max_instance_count    = 3
    service_account_email = google_service_account.api.email
    ingress_settings      = "ALLOW_ALL"
    environment_variables = merge(local.common_env, {
      GOMEMLIMIT                = local.gomemlimit.api
      GROUPSYNC_AUDIENCE        = local.sync_audience
      GROUPSYNC_ALLOWED_CALLERS = join(",", local.allowed_callers)
    })
  }

  depends_on = [google_project_service.enabled, google_project_iam_member.build]
}
