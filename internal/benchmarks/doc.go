// Package benchmarks measures whole syncs of the real pipeline in one
// process: the engine with the Google Directory client against the
// workspacetest fake, the SCIM client against the scimtest fake (or the
// third-party scimmy server), and a bbolt store in a temporary directory.
//
// It holds only benchmarks. `make bench` (scripts/bench.sh) runs them and
// writes the table in docs/benchmarks.md. Each benchmark reports, per sync,
// the Directory API calls, the SCIM requests, writes and PATCHes, the store
// writes, and the peak heap, besides the wall time; and it fails when a
// sync breaks a promise of the design (writes on an unchanged resync,
// Directory calls over the paging budget, a held or failed job).
package benchmarks
