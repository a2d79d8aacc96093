package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// googleTarget is a fake example.com domain as a workspace target, with
// its admin and one user groupsync must never touch.
type googleTarget struct {
	srv *workspacetest.Server
}

const bystanderID = "900"

func newGoogleTarget(t *testing.T, dir string) *googleTarget {
	t.Helper()
	org := &workspacetest.Org{CustomerID: "C0dst", Domain: "example.com", Users: []*workspacetest.User{
		{ID: "1", PrimaryEmail: "admin@example.com", GivenName: "Admin", FamilyName: "Dst"},
		{ID: bystanderID, PrimaryEmail: "zed@example.com", GivenName: "Zed", FamilyName: "Here"},
	}}
	srv := workspacetest.NewServer(org)
	t.Cleanup(srv.Close)
	if err := os.WriteFile(filepath.Join(dir, "dst-key.json"), srv.ServiceAccountKey("groupsync@dst.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &googleTarget{srv: srv}
}

// yaml is the target's config entry.
func (g *googleTarget) yaml() string {
	return fmt.Sprintf(`  google:
    type: workspace
    admin_subject: admin@example.com
    credentials: file://dst-key.json
    endpoint: "%s/"
    domain_map: {corp.example: example.com}
    org_unit: /Synced
`, g.srv.URL())
}

// state is the target's groups (by email) with their members' emails,
// and its users by groupsync externalId.
func (g *googleTarget) state() (map[string][]string, map[string]*workspacetest.User) {
	org := g.srv.Org()
	byID := map[string]*workspacetest.User{}
	byExt := map[string]*workspacetest.User{}
	for _, u := range org.Users {
		byID[u.ID] = u
		for _, x := range u.ExternalIDs {
			if x.CustomType == "groupsync" {
				byExt[x.Value] = u
			}
		}
	}
	groups := map[string][]string{}
	for _, gr := range org.Groups {
		members := []string{}
		for _, m := range gr.Members {
			members = append(members, byID[m.ID].PrimaryEmail)
		}
		sort.Strings(members)
		groups[gr.Email] = members
	}
	return groups, byExt
}

// syncWrites runs sync and returns the target's write calls and batch
// requests.
func (g *googleTarget) syncWrites(t *testing.T, e *e2e, what string) (writes, batches int64) {
	t.Helper()
	g.srv.ResetCounters()
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("%s: sync exit %d, want 0:\n%s", what, code, out)
	}
	return g.srv.Writes(), g.srv.Requests(workspacetest.EndpointBatch)
}

func (g *googleTarget) checkBystander(t *testing.T) {
	t.Helper()
	u := g.srv.Org().User(bystanderID)
	if u == nil || u.Suspended || len(u.ExternalIDs) > 0 || u.PrimaryEmail != "zed@example.com" {
		t.Errorf("a user groupsync did not create was changed: %+v", u)
	}
}

// TestGoogleToGoogleAcrossDomains: corp.example's groups into example.com,
// through the CLI, against two fake Directory APIs.
func TestGoogleToGoogleAcrossDomains(t *testing.T) {
	dir := t.TempDir()
	u := func(id, name string) *workspacetest.User {
		return &workspacetest.User{ID: id, PrimaryEmail: name + "@corp.example", GivenName: name, FamilyName: "Corp"}
	}
	um := func(id string) workspacetest.Member {
		return workspacetest.Member{ID: id, Type: workspacetest.TypeUser}
	}
	src := workspacetest.NewServer(&workspacetest.Org{CustomerID: "C0src", Domain: "corp.example",
		Users: []*workspacetest.User{u("100", "admin"), u("101", "ada"), u("102", "bob"), u("103", "cy"), u("104", "dee"), u("105", "eve"), u("106", "fay")},
		Groups: []*workspacetest.Group{
			{ID: "g1", Email: "eng@corp.example", Name: "Eng", Members: []workspacetest.Member{um("101"), um("102"), {ID: "g2", Type: workspacetest.TypeGroup}}},
			{ID: "g2", Email: "eng-core@corp.example", Name: "Eng core", Members: []workspacetest.Member{um("103")}},
			{ID: "g3", Email: "sales@corp.example", Name: "Sales", Members: []workspacetest.Member{um("104"), um("105"), um("106")}},
		}})
	t.Cleanup(src.Close)
	if err := os.WriteFile(filepath.Join(dir, "src-key.json"), src.ServiceAccountKey("groupsync@src.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := newGoogleTarget(t, dir)
	cfg := fmt.Sprintf(`store: bolt://groupsync.db
sources:
  corp: {type: workspace, admin_subject: admin@corp.example, credentials: file://src-key.json, endpoint: "%s/"}
targets:
%srules:
  - name: corp-to-google
    source: corp
    target: google
    policy: {max_deletes: "50%%", max_deletes_per_group: "50%%"}
`, src.URL(), dst.yaml())
	if err := os.WriteFile(filepath.Join(dir, "groupsync.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &e2e{dir: dir}

	want := map[string][]string{
		"eng@example.com":      {"ada@example.com", "bob@example.com", "cy@example.com"},
		"eng-core@example.com": {"cy@example.com"},
		"sales@example.com":    {"dee@example.com", "eve@example.com", "fay@example.com"},
	}
	if w, b := dst.syncWrites(t, e, "first sync"); w == 0 || b != 3 {
		t.Errorf("first sync: %d writes, %d batch requests; want some, and one batch per group", w, b)
	}
	got, users := dst.state()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("target after the first sync (-want +got):\n%s", diff)
	}
	if ada := users["101"]; ada == nil || ada.OrgUnitPath != "/Synced" || !ada.ChangePasswordAtNextLogin {
		t.Errorf("ada in the target: %+v, want her in /Synced with a password to change", ada)
	}
	dst.checkBystander(t)

	if w, b := dst.syncWrites(t, e, "unchanged sync"); w != 0 || b != 0 {
		t.Errorf("unchanged sync: %d writes, %d batch requests; want 0", w, b)
	}

	// ada is renamed; fay leaves sales and so every group of the rule.
	adaID := users["101"].ID
	if err := src.RenameUser("101", "ada.l@corp.example"); err != nil {
		t.Fatal(err)
	}
	if err := src.RemoveMember("g3", "106"); err != nil {
		t.Fatal(err)
	}
	dst.syncWrites(t, e, "sync after a rename and a leaver")
	got, users = dst.state()
	want["eng@example.com"][0] = "ada.l@example.com"
	want["sales@example.com"] = want["sales@example.com"][:2]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target after the changes (-want +got):\n%s", diff)
	}
	if ada := users["101"]; ada == nil || ada.ID != adaID || ada.PrimaryEmail != "ada.l@example.com" {
		t.Errorf("renamed ada: %+v, want Google user %s renamed", ada, adaID)
	}
	if fay := users["106"]; fay == nil || !fay.Suspended {
		t.Errorf("fay after leaving every group: %+v, want suspended, not deleted", fay)
	}
	if n := dst.srv.Requests(workspacetest.EndpointUserDelete); n != 0 {
		t.Errorf("%d users.delete calls, want 0 (deprovision: disable)", n)
	}
	dst.checkBystander(t)

	if w, b := dst.syncWrites(t, e, "second unchanged sync"); w != 0 || b != 0 {
		t.Errorf("second unchanged sync: %d writes, %d batch requests; want 0", w, b)
	}
}

// TestLDAPToGoogle: a real slapd's groups into a fake example.com.
func TestLDAPToGoogle(t *testing.T) {
	var ldif strings.Builder
	// The first four carry each kind of password hash the directory may
	// hold; Google takes crypt, SHA-1 and MD5, and gets a random password
	// for a salted SHA.
	hashes := []string{
		"{CRYPT}$6$rounds=5000$saltsalt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF7bKQt2uyqvCzNxuWGKypOtWQQB7nXSgH1z4NUnIKT8O5bw6g//",
		"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",
		"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==",
		"{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
	}
	for i := range 12 {
		fmt.Fprintf(&ldif, "dn: uid=q%02d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: q%02d\ncn: Q %02d\ngivenName: Q\nsn: N%02d\nmail: q%02d@corp.example\n",
			i, ldaptest.Suffix, i, i, i, i)
		if i < len(hashes) {
			fmt.Fprintf(&ldif, "userPassword: %s\n", hashes[i])
		}
		ldif.WriteString("\n")
	}
	for _, g := range []struct {
		cn       string
		from, to int
	}{{"ops", 0, 8}, {"dev", 5, 12}} {
		fmt.Fprintf(&ldif, "dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\nobjectClass: extensibleObject\ncn: %s\nmail: %s@corp.example\n", g.cn, ldaptest.Suffix, g.cn, g.cn)
		for i := g.from; i < g.to; i++ {
			fmt.Fprintf(&ldif, "member: uid=q%02d,ou=people,%s\n", i, ldaptest.Suffix)
		}
		ldif.WriteString("\n")
	}
	slapd := ldaptest.Start(t, []byte(ldif.String()))
	dir := t.TempDir()
	ca, err := os.ReadFile(slapd.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_LDAP_PASSWORD", ldaptest.Password)
	dst := newGoogleTarget(t, dir)
	cfg := fmt.Sprintf(`store: bolt://groupsync.db
sources:
  hq:
    type: ldap
    url: %s
    start_tls: true
    tls: {ca_file: file://ca.pem, server_name: %s}
    bind_dn: %s
    password: env://E2E_LDAP_PASSWORD
    base_dn: %s
targets:
%srules:
  - name: hq-to-google
    source: hq
    target: google
`, slapd.URL, ldaptest.ServerName, ldaptest.AdminDN, ldaptest.Suffix, dst.yaml())
	if err := os.WriteFile(filepath.Join(dir, "groupsync.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &e2e{dir: dir}

	dst.syncWrites(t, e, "first sync")
	want := map[string][]string{}
	for _, g := range []struct {
		name     string
		from, to int
	}{{"ops", 0, 8}, {"dev", 5, 12}} {
		for i := g.from; i < g.to; i++ {
			want[g.name+"@example.com"] = append(want[g.name+"@example.com"], fmt.Sprintf("q%02d@example.com", i))
		}
	}
	got, users := dst.state()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("target after the first sync (-want +got):\n%s", diff)
	}
	if len(users) != 12 {
		t.Errorf("%d users carry a groupsync externalId, want 12", len(users))
	}
	dst.checkBystander(t)
	// The directory's hashes reach Google with the matching hashFunction;
	// the salted SHA, which Google cannot take, gets a random password to
	// change at first sign-in.
	wantHash := map[string]string{"q00": "crypt", "q01": "SHA-1", "q02": "MD5", "q03": "", "q04": ""}
	for _, u := range dst.srv.Org().Users {
		local, _, _ := strings.Cut(u.PrimaryEmail, "@")
		want, ok := wantHash[local]
		if !ok {
			continue
		}
		if u.HashFunction != want || u.Password == "" || (want == "") != u.ChangePasswordAtNextLogin {
			t.Errorf("user %s: hashFunction %q, password set %t, change at next login %t; want %q, set, %t",
				local, u.HashFunction, u.Password != "", u.ChangePasswordAtNextLogin, want, want == "")
		}
	}
	// The job says which user got a random password, and why.
	if _, out := e.cli(t, "jobs", "--json"); !strings.Contains(out, "q03@example.com: a random password") {
		t.Errorf("the job does not note q03's random password:\n%s", out)
	}
	if w, b := dst.syncWrites(t, e, "unchanged sync"); w != 0 || b != 0 {
		t.Errorf("unchanged sync: %d writes, %d batch requests; want 0", w, b)
	}
}
