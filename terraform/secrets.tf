# Secrets are created empty: their values never pass through Terraform (or its
# state). Add them with `gcloud secrets versions add` (docs/deploy.md).

resource "google_secret_manager_secret" "dwd_key" {
  count = var.keyless_dwd ? 0 : 1

  secret_id = "groupsync-dwd-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "dwd_key_accessor" {
  for_each = var.keyless_dwd ? {} : local.directory_readers

  secret_id = google_secret_manager_secret.dwd_key[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value
}

resource "google_secret_manager_secret" "target" {
  for_each = toset(var.target_secret_ids)

  secret_id = each.value

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Only SyncGroup writes to targets.
resource "google_secret_manager_secret_iam_member" "target_accessor" {
  for_each = google_secret_manager_secret.target

  secret_id = each.value.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.worker.member
}
