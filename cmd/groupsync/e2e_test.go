package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimmypeer"
)

// e2e is the real pipeline: the CLI, Google's Directory client against the
// workspacetest fake, and the SCIM client against the third-party scimmy
// server (behind a proxy that counts requests).
type e2e struct {
	dir  string
	dirx *workspacetest.Server
	scim *scimmypeer.Server
}

// newE2E builds an org with five groups of 200, 150, 100, 50 and 10 direct
// user members out of 300 users, so the expected target state can be
// computed here without groupsync's own flattening.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	org := &workspacetest.Org{CustomerID: "C0e2e", Domain: "example.com"}
	for i := range 300 {
		org.Users = append(org.Users, &workspacetest.User{
			ID: fmt.Sprintf("1%05d", i), PrimaryEmail: fmt.Sprintf("user%03d@example.com", i),
			GivenName: "User", FamilyName: fmt.Sprintf("N%03d", i),
		})
	}
	for gi, size := range []int{200, 150, 100, 50, 10} {
		g := &workspacetest.Group{ID: fmt.Sprintf("0g%02d", gi), Email: fmt.Sprintf("team-%d@example.com", gi), Name: fmt.Sprintf("Team %d", gi)}
		for k := range size {
			u := org.Users[(gi*37+k)%len(org.Users)]
			g.Members = append(g.Members, workspacetest.Member{ID: u.ID, Type: workspacetest.TypeUser, Role: workspacetest.RoleMember})
		}
		org.Groups = append(org.Groups, g)
	}
	dirx := workspacetest.NewServer(org)
	t.Cleanup(dirx.Close)
	peer := scimmypeer.Start(t, 50)
	e := &e2e{dir: t.TempDir(), dirx: dirx, scim: peer}
	if err := os.WriteFile(filepath.Join(e.dir, "key.json"), dirx.ServiceAccountKey("groupsync@test.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_SCIM_TOKEN", peer.Token)
	cfg := fmt.Sprintf(`
store: bolt://groupsync.db
sources:
  corp: {type: workspace, admin_subject: user000@example.com, credentials: file://key.json, endpoint: "%s/"}
targets:
  app: {type: scim, url: "%s", token: env://E2E_SCIM_TOKEN}
rules:
  - name: teams
    source: corp
    target: app
    groups: {include: ["team-*@example.com"]}
    policy: {max_deletes: "50%%", max_deletes_per_group: "10%%"}
`, dirx.URL(), peer.URL)
	if err := os.WriteFile(filepath.Join(e.dir, "groupsync.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *e2e) cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--config", filepath.Join(e.dir, "groupsync.yaml")}, args...), &out, &errb)
	return code, out.String() + errb.String()
}

// wantState is the org's direct user members by group email, as emails.
func (e *e2e) wantState() map[string][]string {
	org := e.dirx.Org()
	emails := map[string]string{}
	for _, u := range org.Users {
		emails[u.ID] = strings.ToLower(u.PrimaryEmail)
	}
	out := map[string][]string{}
	for _, g := range org.Groups {
		members := []string{}
		for _, m := range g.Members {
			members = append(members, emails[m.ID])
		}
		sort.Strings(members)
		out[g.Email] = members
	}
	return out
}

type scimUser struct {
	ID, UserName, ExternalID string
	Active                   bool
}

// gotState reads the SCIM server's groups, and each member user by ID,
// straight over HTTP.
func (e *e2e) gotState(t *testing.T) (map[string][]string, map[string]scimUser) {
	t.Helper()
	var groups []struct {
		DisplayName string
		Members     []struct{ Value string }
	}
	e.list(t, "/Groups", &groups)
	byID := map[string]scimUser{}
	byExt := map[string]scimUser{}
	out := map[string][]string{}
	for _, g := range groups {
		members := []string{}
		for _, m := range g.Members {
			u, ok := byID[m.Value]
			if !ok {
				e.get(t, "/Users/"+m.Value, &u)
				byID[m.Value] = u
				byExt[u.ExternalID] = u
			}
			members = append(members, strings.ToLower(u.UserName))
		}
		sort.Strings(members)
		out[g.DisplayName] = members
	}
	return out, byExt
}

func (e *e2e) get(t *testing.T, path string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.scim.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.scim.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (e *e2e) list(t *testing.T, path string, into any) {
	t.Helper()
	var all []json.RawMessage
	for start := 1; ; {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s%s?startIndex=%d&count=50", e.scim.URL, path, start), nil)
		req.Header.Set("Authorization", "Bearer "+e.scim.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var page struct {
			TotalResults int
			Resources    []json.RawMessage
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		all = append(all, page.Resources...)
		start += len(page.Resources)
		if len(page.Resources) == 0 || len(all) >= page.TotalResults {
			break
		}
	}
	b, _ := json.Marshal(all)
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

var jobIDRe = regexp.MustCompile(`job (\S+): `)

func TestEndToEndAgainstScimmy(t *testing.T) {
	e := newE2E(t)

	// The first sync converges: every group's members equal the source.
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("first sync: exit %d, want 0:\n%s", code, out)
	}
	got, users := e.gotState(t)
	if diff := cmp.Diff(e.wantState(), got); diff != "" {
		t.Fatalf("target after first sync (-want +got):\n%s", diff)
	}

	// A second sync makes zero write requests.
	e.scim.Reset()
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("second sync: exit %d:\n%s", code, out)
	}
	if got := e.scim.Writes(); got != 0 {
		t.Errorf("write requests on an unchanged sync: got %d, want 0", got)
	}

	// A 1% change: 3 of team-0's 200 members leave, 3 outsiders join, and
	// a brand-new user joins team-1. At most ceil(changes/100) PATCH per
	// group, plus the user create.
	org := e.dirx.Org()
	team0 := org.Groups[0]
	for _, m := range team0.Members[:3] {
		if err := e.dirx.RemoveMember(team0.Email, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"100290", "100291", "100292"} {
		if err := e.dirx.AddMember(team0.Email, workspacetest.Member{ID: id, Type: workspacetest.TypeUser}); err != nil {
			t.Fatal(err)
		}
	}
	e.scim.Reset()
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("sync after 1%% change: exit %d:\n%s", code, out)
	}
	patches := e.scim.PathRequests(http.MethodPatch, "/Groups/")
	if len(patches) != 1 {
		t.Errorf("groups patched for a change in one group: got %v, want one group", patches)
	}
	for g, n := range patches {
		if n > 1 {
			t.Errorf("PATCH requests to %s for 6 member changes: got %d, want at most 1", g, n)
		}
	}
	if got := e.scim.Requests(http.MethodPost); got != 3 {
		t.Errorf("user creates for 3 new members: got %d POST, want 3", got)
	}
	got, _ = e.gotState(t)
	if diff := cmp.Diff(e.wantState(), got); diff != "" {
		t.Errorf("target after 1%% change (-want +got):\n%s", diff)
	}

	// A rename keeps the SCIM id.
	renamed := org.Users[5]
	before := users[renamed.ID]
	if err := e.dirx.RenameUser(renamed.ID, "renamed.user005@example.com"); err != nil {
		t.Fatal(err)
	}
	e.scim.Reset()
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("sync after rename: exit %d:\n%s", code, out)
	}
	_, users = e.gotState(t)
	after := users[renamed.ID]
	if after.ID != before.ID || after.UserName != "renamed.user005@example.com" {
		t.Errorf("renamed user: got id %s userName %s, want id %s userName renamed.user005@example.com", after.ID, after.UserName, before.ID)
	}
	if got := e.scim.Requests(http.MethodPost); got != 0 {
		t.Errorf("POST requests for a rename: got %d, want 0 (never re-create)", got)
	}

	// A 60% removal is held (exit 3) and nothing is written; approve applies it.
	team3 := org.Groups[3] // 50 members
	for _, m := range append([]workspacetest.Member(nil), team3.Members[:30]...) {
		if err := e.dirx.RemoveMember(team3.Email, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.scim.Reset()
	code, out := e.cli(t, "sync")
	if code != exitHeld {
		t.Fatalf("sync with 60%% removal: exit %d, want %d:\n%s", code, exitHeld, out)
	}
	if got := e.scim.Writes(); got != 0 {
		t.Errorf("write requests while held: got %d, want 0", got)
	}
	m := jobIDRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job ID in sync output:\n%s", out)
	}
	if code, out := e.cli(t, "jobs", "show", m[1]); code != exitOK || !strings.Contains(out, "held") {
		t.Errorf("jobs show: exit %d, want 0 and the hold explained:\n%s", code, out)
	}
	if code, out := e.cli(t, "approve", m[1]); code != exitOK {
		t.Fatalf("approve: exit %d, want 0:\n%s", code, out)
	}
	got, _ = e.gotState(t)
	if diff := cmp.Diff(e.wantState(), got); diff != "" {
		t.Errorf("target after approve (-want +got):\n%s", diff)
	}
}

func TestApproveRefusedAfterSourceChange(t *testing.T) {
	e := newE2E(t)
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("first sync: exit %d:\n%s", code, out)
	}
	team4 := e.dirx.Org().Groups[4] // 10 members
	for _, m := range append([]workspacetest.Member(nil), team4.Members[:6]...) {
		if err := e.dirx.RemoveMember(team4.Email, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	code, out := e.cli(t, "sync")
	if code != exitHeld {
		t.Fatalf("sync: exit %d, want %d:\n%s", code, exitHeld, out)
	}
	id := jobIDRe.FindStringSubmatch(out)[1]
	if err := e.dirx.AddMember(team4.Email, workspacetest.Member{ID: "100299", Type: workspacetest.TypeUser}); err != nil {
		t.Fatal(err)
	}
	e.scim.Reset()
	code, out = e.cli(t, "approve", id)
	if code != exitError || !strings.Contains(out, "source has changed") {
		t.Errorf("approve after change: exit %d, want 1 naming the change:\n%s", code, out)
	}
	if got := e.scim.Writes(); got != 0 {
		t.Errorf("write requests after refused approve: got %d, want 0", got)
	}
}

// plan previews without writing, with exit 2 on changes and 0 without.
func TestPlanExitCodes(t *testing.T) {
	e := newE2E(t)
	code, out := e.cli(t, "plan")
	if code != exitChanges || !strings.Contains(out, "+ create group team-0@example.com") {
		t.Fatalf("plan before sync: exit %d, want %d with the creates listed:\n%s", code, exitChanges, out)
	}
	if got := e.scim.Writes(); got != 0 {
		t.Errorf("plan wrote %d requests", got)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "groupsync.db")); err == nil {
		// The store may be opened read-write by bbolt, but plan records no job.
		code, out := e.cli(t, "jobs", "--json")
		if code != exitOK || strings.TrimSpace(out) != "[]" && strings.TrimSpace(out) != "null" {
			t.Errorf("jobs after plan: exit %d, %s; want no jobs", code, out)
		}
	}
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("sync: exit %d:\n%s", code, out)
	}
	if code, out := e.cli(t, "plan"); code != exitOK {
		t.Errorf("plan after sync: exit %d, want 0:\n%s", code, out)
	}
}
