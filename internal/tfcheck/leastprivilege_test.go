package tfcheck

import (
	"slices"
	"testing"
)

// TestSyncAccountLeastPrivilege: the Sync function's account (api) faces
// the internet, so it reads jobs and publishes runs and nothing more: it
// reads no secret and holds no Firestore write role.
func TestSyncAccountLeastPrivilege(t *testing.T) {
	c := loadDeployment(t)
	readers := c.Locals()["secret_readers"]
	if readers == nil {
		t.Fatal("local.secret_readers is gone; update this test with the secrets' IAM")
	}
	if refersTo(readers.Expr, "google_service_account", "api") {
		t.Errorf("%s: local.secret_readers includes the api account", pos(readers.SrcRange))
	}
	forbidden := []string{"roles/datastore.user", "roles/secretmanager.secretAccessor", "roles/iam.serviceAccountTokenCreator"}
	checked := 0
	for _, r := range c.Blocks {
		if r.Type != "resource" || len(r.Labels) != 2 || !isIAMResource(r.Labels[0]) {
			continue
		}
		role := r.Body.Attributes["role"]
		if role == nil {
			continue
		}
		checked++
		api := false
		for _, name := range []string{"member", "for_each"} {
			if a := r.Body.Attributes[name]; a != nil && refersTo(a.Expr, "google_service_account", "api") {
				api = true
			}
		}
		for _, lit := range stringLiterals(role.Expr) {
			if api && slices.Contains(forbidden, lit) {
				t.Errorf("%s: %s.%s grants %s to the api account", pos(r.Body.SrcRange), r.Labels[0], r.Labels[1], lit)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no IAM resources with a role found; the test reads nothing")
	}
}
