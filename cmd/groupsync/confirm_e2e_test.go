package main

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestSyncFailsUntilTheTargetConfirms is issue 10's strict SCIM server:
// every group PATCH answers 503 and members.value filters answer 200 with
// no results. A removal must not be recorded as done: sync exits non-zero
// run after run while the fault lasts, and converges once it clears.
func TestSyncFailsUntilTheTargetConfirms(t *testing.T) {
	dirx := workspacetest.NewServer(workspacetest.SmallOrg())
	t.Cleanup(dirx.Close)
	scim := scimtest.NewServer(scimtest.Unreliable())
	t.Cleanup(scim.Close)
	conf := faultConfig(t, dirx, dirx.URL(), 600000, scim, `{max_deletes: "100%", max_deletes_per_group: "100%"}`)

	scim.SetGroupPatchStatus(0)
	if code, out := runCLI(t, conf, "sync"); code != exitOK {
		t.Fatalf("first sync: exit %d, want 0:\n%s", code, out)
	}
	eng := scimGroup(t, scim, "eng@example.com")
	bob := scimUserID(t, scim, "bob@example.com")
	want := scim.Members(eng.ID)
	if len(want) != 3 {
		t.Fatalf("eng@ members after the first sync: %v, want ada, bob and cy", want)
	}

	// bob leaves eng@, and the target starts failing every group PATCH.
	if err := dirx.RemoveMember("eng@example.com", "102"); err != nil {
		t.Fatal(err)
	}
	scim.SetGroupPatchStatus(http.StatusServiceUnavailable)
	for run := 1; run <= 2; run++ {
		if code, out := runCLI(t, conf, "sync"); code == exitOK {
			t.Fatalf("sync %d while every group PATCH fails: exit 0, want non-zero:\n%s", run, out)
		}
		if diff := cmp.Diff(want, scim.Members(eng.ID)); diff != "" {
			t.Fatalf("eng@ members under the fault (-want +got):\n%s", diff)
		}
	}

	scim.SetGroupPatchStatus(0)
	if code, out := runCLI(t, conf, "sync"); code != exitOK {
		t.Fatalf("sync after the fault cleared: exit %d, want 0:\n%s", code, out)
	}
	for _, id := range scim.Members(eng.ID) {
		if id == bob {
			t.Errorf("bob is still in eng@ after the fault cleared: %v", scim.Members(eng.ID))
		}
	}
	if got := len(scim.Members(eng.ID)); got != 2 {
		t.Errorf("eng@ has %d members after the fault cleared, want 2", got)
	}
	assertConverged(t, conf, scim)
}

func scimGroup(t *testing.T, scim *scimtest.Server, displayName string) scimtest.Group {
	t.Helper()
	for _, g := range scim.Groups() {
		if g.DisplayName == displayName {
			return g
		}
	}
	t.Fatalf("no SCIM group %s", displayName)
	return scimtest.Group{}
}

func scimUserID(t *testing.T, scim *scimtest.Server, userName string) string {
	t.Helper()
	for _, u := range scim.Users() {
		if u.UserName == userName {
			return u.ID
		}
	}
	t.Fatalf("no SCIM user %s", userName)
	return ""
}
