package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// mappingOrg is SmallOrg with profiles: departments, a title, a cost
// centre, an employee ID, ada as bob's and cy's manager, and a custom
// schema username for cy.
func mappingOrg() *workspacetest.Org {
	org := workspacetest.SmallOrg()
	byID := map[string]*workspacetest.User{}
	for _, u := range org.Users {
		byID[u.ID] = u
	}
	byID["101"].Organizations = []workspacetest.Organization{{Title: "CTO", Department: "eng", CostCenter: "cc-1", Primary: true}}
	byID["101"].ExternalIDs = []workspacetest.ExternalID{{Type: "organization", Value: "E101"}}
	byID["102"].Organizations = []workspacetest.Organization{{Department: "eng", Primary: true}}
	byID["102"].Relations = []workspacetest.Relation{{Type: "manager", Value: "ada@example.com"}}
	byID["103"].Organizations = []workspacetest.Organization{{Department: "eng"}}
	byID["103"].Relations = []workspacetest.Relation{{Type: "manager", Value: "ada@example.com"}}
	byID["103"].CustomSchemas = map[string]map[string]any{"SSO": {"username": "cy.sso@example.com"}}
	byID["104"].Organizations = []workspacetest.Organization{{Department: "sales", Primary: true}}
	return org
}

func mappingConfig(t *testing.T, dirx *workspacetest.Server, scim *scimtest.Server, department string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.json"), dirx.ServiceAccountKey("groupsync@test.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MAP_SCIM_TOKEN", scim.Token())
	cfg := fmt.Sprintf(`
store: bolt://groupsync.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json, endpoint: "%s/"}
targets:
  app: {type: scim, url: "%s", token: env://MAP_SCIM_TOKEN}
rules:
  - name: all
    source: corp
    target: app
    groups: {include: ["*@example.com"]}
    mapping:
      user:
        user_name: '{{with .Custom.SSO}}{{.username}}{{else}}{{.Email}}{{end}}'
        title: '{{.Title}}'
        department: '%s'
        cost_center: '{{.CostCenter}}'
        employee_number: '{{.EmployeeID}}'
        manager: '{{.ManagerID}}'
      group:
        display_name: '{{.Name}}'
`, dirx.URL(), scim.URL(), department)
	conf := filepath.Join(dir, "groupsync.yaml")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

func scimUsersByName(scim *scimtest.Server) map[string]scimtest.User {
	out := map[string]scimtest.User{}
	for _, u := range scim.Users() {
		out[u.UserName] = u
	}
	return out
}

// syncedWithMapping syncs mappingOrg to a SCIM server that advertises the
// enterprise extension, twice: the first run creates the managers, the
// second fills in the manager references, which need their target IDs.
func syncedWithMapping(t *testing.T) (*scimtest.Server, string) {
	t.Helper()
	dirx := workspacetest.NewServer(mappingOrg())
	t.Cleanup(dirx.Close)
	scim := scimtest.NewServer(scimtest.Options{Token: "tok", Enterprise: true})
	t.Cleanup(scim.Close)
	conf := mappingConfig(t, dirx, scim, "{{.Department}}")
	for run := 1; run <= 2; run++ {
		if code, out := runCLI(t, conf, "sync"); code != exitOK {
			t.Fatalf("sync %d: exit %d:\n%s", run, code, out)
		}
	}
	return scim, conf
}

// The mapped attributes reach the SCIM enterprise extension, the title
// and the userName; the group's displayName is its name.
func TestMappingReachesEnterpriseExtension(t *testing.T) {
	scim, conf := syncedWithMapping(t)
	users := scimUsersByName(scim)
	ada, ok := users["ada@example.com"]
	if !ok {
		t.Fatalf("no user ada@example.com in the target: %v", users)
	}
	if ada.Title != "CTO" {
		t.Errorf("ada's title: got %q, want CTO", ada.Title)
	}
	wantAda := map[string]any{"department": "eng", "costCenter": "cc-1", "employeeNumber": "E101"}
	if diff := cmp.Diff(wantAda, ada.Enterprise); diff != "" {
		t.Errorf("ada's enterprise extension (-want +got):\n%s", diff)
	}
	cy, ok := users["cy.sso@example.com"]
	if !ok {
		t.Fatalf("no user named by the custom schema (cy.sso@example.com): %v", users)
	}
	wantCy := map[string]any{"department": "eng", "manager": map[string]any{"value": ada.ID}}
	if diff := cmp.Diff(wantCy, cy.Enterprise); diff != "" {
		t.Errorf("cy's enterprise extension (-want +got):\n%s", diff)
	}
	if eve := users["eve@example.com"]; len(eve.Enterprise) != 0 || eve.Title != "" {
		t.Errorf("eve has no profile, but got title %q and extension %v", eve.Title, eve.Enterprise)
	}
	var names []string
	for _, g := range scim.Groups() {
		names = append(names, g.DisplayName)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"eng", "eng core", "sales"}, names); diff != "" {
		t.Errorf("group displayNames (-want +got):\n%s", diff)
	}
	assertConverged(t, conf, scim)
}

// A server that does not advertise the extension gets none of it.
func TestMappingWithoutEnterpriseExtension(t *testing.T) {
	dirx := workspacetest.NewServer(mappingOrg())
	t.Cleanup(dirx.Close)
	scim := scimtest.NewServer(scimtest.Options{Token: "tok"})
	t.Cleanup(scim.Close)
	conf := mappingConfig(t, dirx, scim, "{{.Department}}")
	if code, out := runCLI(t, conf, "sync"); code != exitOK {
		t.Fatalf("sync: exit %d:\n%s", code, out)
	}
	ada := scimUsersByName(scim)["ada@example.com"]
	if ada.Title != "CTO" || len(ada.Enterprise) != 0 {
		t.Errorf("ada: got title %q and extension %v, want CTO and no extension", ada.Title, ada.Enterprise)
	}
}

// A mapping change updates each user whose mapped value changes, once.
func TestMappingChangeUpdatesEachUserOnce(t *testing.T) {
	scim, conf := syncedWithMapping(t)
	assertConverged(t, conf, scim)

	// Same store, new template: upper-case departments.
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), "department: '{{.Department}}'", "department: '{{.Department | upper}}'", 1)
	if err := os.WriteFile(conf, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	before := scim.Requests()
	code, out := runCLI(t, conf, "sync")
	if code != exitOK {
		t.Fatalf("sync after the mapping change: exit %d:\n%s", code, out)
	}
	after := scim.Requests()
	// ada, bob, cy (eng) and dee (sales) have a department; eve has none.
	if got := after[http.MethodPatch] - before[http.MethodPatch]; got != 4 {
		t.Errorf("PATCH requests after the mapping change: got %d, want 4 (one per user with a department)", got)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if n := after[m] - before[m]; n != 0 {
			t.Errorf("%s requests after the mapping change: got %d, want 0", m, n)
		}
	}
	users := scimUsersByName(scim)
	for name, want := range map[string]string{"ada@example.com": "ENG", "bob@example.com": "ENG", "cy.sso@example.com": "ENG", "dee@example.com": "SALES"} {
		if got := users[name].Enterprise["department"]; got != want {
			t.Errorf("%s department: got %v, want %s", name, got, want)
		}
	}
	assertConverged(t, conf, scim)
}
