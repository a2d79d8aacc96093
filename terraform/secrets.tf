# Secrets are created empty: their values never pass through Terraform (or its
# state). Add them with `gcloud secrets versions add` (docs/deploy.md).

resource "google_secret_manager_secret" "dwd_key" {
  count = var.keyless_dwd ? 0 : 1

  secret_id = "${var.name_prefix}-dwd-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Only the functions that read the directory and write the targets read the
# secrets. Sync (the api account) is reachable from the internet: it reads
# jobs and publishes runs, so it must connect no source or target (they are
# connected on first use) and never holds the DWD key or a SCIM token.
locals {
  secret_readers = {
    dispatch = google_service_account.dispatch.member
    worker   = google_service_account.worker.member
  }
}

resource "google_secret_manager_secret_iam_member" "dwd_key_accessor" {
  for_each = var.keyless_dwd ? {} : local.secret_readers

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

resource "google_secret_manager_secret_iam_member" "target_accessor" {
  for_each = {
    for pair in setproduct(var.target_secret_ids, keys(local.secret_readers)) :
    "${pair[0]}/${pair[1]}" => { secret = pair[0], member = local.secret_readers[pair[1]] }
  }

  secret_id = google_secret_manager_secret.target[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
