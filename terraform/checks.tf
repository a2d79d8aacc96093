# Consistency checks between the config file and this deployment. They warn
# at plan time; the functions' own config validation is the hard gate.

check "config_store_is_firestore" {
  assert {
    condition     = try(tostring(local.config.store), "") == "firestore://projects/${var.project_id}/databases/${var.firestore_database}"
    error_message = "The config's store should be firestore://projects/${var.project_id}/databases/${var.firestore_database} in the cloud."
  }
}

check "config_credentials_match_keyless_dwd" {
  assert {
    condition = alltrue([
      for name, src in try(local.config.sources, {}) :
      var.keyless_dwd ? (
        try(src.credentials, "") == "keyless" && try(src.service_account, "") == google_service_account.dwd.email
        ) : (
        startswith(try(src.credentials, ""), "secret://projects/${var.project_id}/secrets/${var.name_prefix}-dwd-key/")
      )
    ])
    error_message = var.keyless_dwd ? "With keyless_dwd, every source in the config should have credentials: keyless and service_account: ${google_service_account.dwd.email}." : "Without keyless_dwd, every source's credentials should be secret://projects/${var.project_id}/secrets/${var.name_prefix}-dwd-key/versions/latest."
  }
}

check "sync_url_is_audience" {
  assert {
    condition     = google_cloudfunctions2_function.sync.url == local.sync_audience
    error_message = "The Sync function's URL (${google_cloudfunctions2_function.sync.url}) differs from GROUPSYNC_AUDIENCE (${local.sync_audience}); callers must use the audience URL."
  }
}
