resource "google_firestore_database" "default" {
  count = var.create_firestore_database ? 1 : 0

  project     = var.project_id
  name        = var.firestore_database
  location_id = local.firestore_location
  type        = "FIRESTORE_NATIVE"

  # The database holds ownership records: losing it makes groupsync forget
  # which target objects it created.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# TTL policies: Firestore deletes a document some time after the timestamp in
# its `expires` field passes; documents without the field are never deleted.
# internal/store/firestore sets `expires` on leases, jobs and their results
# (jobs/{job}/groups/…), gated plans (jobs/{job}/held/… and their chunks,
# jobs/{job}/held/{rule}/planchunks/…), rule runs
# (jobs/{job}/runs/…) and staged reads (jobs/{job}/staged/{rule} and its
# groups/…), never on snapshot
# headers (rules/{rule}/groups/…), which share the collection ID `groups` and
# so the policy, harmlessly. TTL deletes no subcollections, hence one policy
# per collection ID; `parts` (spilled JSON) is deleted only if its documents
# carry `expires` too.
resource "google_firestore_field" "ttl" {
  for_each = toset(["leases", "jobs", "groups", "held", "planchunks", "runs", "staged", "parts"])

  project    = var.project_id
  database   = var.firestore_database
  collection = each.value
  field      = "expires"

  ttl_config {}

  # A TTL field needs no index; leaving it unindexed avoids write hot spots on
  # monotonically increasing timestamps.
  index_config {}

  depends_on = [google_firestore_database.default, google_project_service.enabled]
}
