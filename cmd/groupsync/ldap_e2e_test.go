package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
	"github.com/groupsync/groupsync/internal/target/scim/scimmypeer"
)

// ldapE2E is the real pipeline from a real slapd (over StartTLS, with a
// test CA) to the third-party SCIM server: 40 users, four groups of
// groupOfNames, one nested in another, read in pages of 10.
type ldapE2E struct {
	*e2e
	slapd *ldaptest.Server
	want  map[string][]string // group mail → flattened member mails
}

func newLDAPE2E(t *testing.T) *ldapE2E {
	t.Helper()
	var ldif strings.Builder
	for i := range 40 {
		fmt.Fprintf(&ldif, "dn: uid=p%02d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: p%02d\ncn: Person %02d\ngivenName: Person\nsn: N%02d\nmail: p%02d@example.com\n\n",
			i, ldaptest.Suffix, i, i, i, i)
	}
	e := &ldapE2E{want: map[string][]string{}}
	groups := []struct {
		cn       string
		from, to int
		nested   string
	}{
		{"red", 0, 15, ""}, {"green", 10, 30, "blue"}, {"blue", 25, 35, ""}, {"gold", 35, 40, ""},
	}
	for _, g := range groups {
		fmt.Fprintf(&ldif, "dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\nobjectClass: extensibleObject\ncn: %s\nmail: %s@example.com\n", g.cn, ldaptest.Suffix, g.cn, g.cn)
		for i := g.from; i < g.to; i++ {
			fmt.Fprintf(&ldif, "member: uid=p%02d,ou=people,%s\n", i, ldaptest.Suffix)
		}
		if g.nested != "" {
			fmt.Fprintf(&ldif, "member: cn=%s,ou=groups,%s\n", g.nested, ldaptest.Suffix)
		}
		ldif.WriteString("\n")
	}
	e.slapd = ldaptest.Start(t, []byte(ldif.String()))
	for _, g := range groups {
		set := map[string]bool{}
		for i := g.from; i < g.to; i++ {
			set[fmt.Sprintf("p%02d@example.com", i)] = true
		}
		if g.nested == "blue" {
			for i := 25; i < 35; i++ {
				set[fmt.Sprintf("p%02d@example.com", i)] = true
			}
		}
		e.want[g.cn+"@example.com"] = sortedKeys(set)
	}
	peer := scimmypeer.Start(t, 50)
	e.e2e = &e2e{dir: t.TempDir(), scim: peer}
	t.Setenv("E2E_SCIM_TOKEN", peer.Token)
	t.Setenv("E2E_LDAP_PASSWORD", ldaptest.Password)
	ca, err := os.ReadFile(e.slapd.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
store: bolt://groupsync.db
sources:
  hq:
    type: ldap
    url: %s
    start_tls: true
    tls: {ca_file: file://ca.pem, server_name: %s}
    bind_dn: %s
    password: env://E2E_LDAP_PASSWORD
    base_dn: %s
    page_size: 10
targets:
  app: {type: scim, url: "%s", token: env://E2E_SCIM_TOKEN}
rules:
  - name: hq-to-app
    source: hq
    target: app
    groups: {include: ["*@example.com"]}
    policy: {max_deletes: "50%%"}
`, e.slapd.URL, ldaptest.ServerName, ldaptest.AdminDN, ldaptest.Suffix, peer.URL)
	if err := os.WriteFile(filepath.Join(e.dir, "groupsync.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (e *ldapE2E) sync(t *testing.T, what string) {
	t.Helper()
	e.scim.Reset()
	if code, out := e.cli(t, "sync"); code != exitOK {
		t.Fatalf("%s: sync exit %d, want 0:\n%s", what, code, out)
	}
}

func (e *ldapE2E) modify(t *testing.T, dn string, edit func(*ldap.ModifyRequest)) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	edit(req)
	if err := e.slapd.Admin(t).Modify(req); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

func TestLDAPEndToEndAgainstScimmy(t *testing.T) {
	e := newLDAPE2E(t)
	if code, out := e.cli(t, "check"); code != exitOK || !strings.Contains(out, "ok    source hq (ldap)") {
		t.Fatalf("check: exit %d:\n%s", code, out)
	}

	e.sync(t, "first sync")
	got, users := e.gotState(t)
	if diff := cmp.Diff(e.want, got); diff != "" {
		t.Fatalf("target after the first sync (-want +got):\n%s", diff)
	}

	e.sync(t, "unchanged sync")
	if n := e.scim.Writes(); n != 0 {
		t.Errorf("write requests on an unchanged sync: got %d, want 0", n)
	}

	// A rename and move of p03 (new DN, new mail) keeps its SCIM user.
	before := usersByName(users)["p03@example.com"]
	admin := e.slapd.Admin(t)
	if err := admin.ModifyDN(ldap.NewModifyDNRequest("uid=p03,ou=people,"+ldaptest.Suffix, "uid=p03-renamed", true, "ou=groups,"+ldaptest.Suffix)); err != nil {
		t.Fatal(err)
	}
	newDN := "uid=p03-renamed,ou=groups," + ldaptest.Suffix
	e.modify(t, newDN, func(r *ldap.ModifyRequest) { r.Replace("mail", []string{"p03.renamed@example.com"}) })
	e.slapd.WaitForMember(t, "cn=red,ou=groups,"+ldaptest.Suffix, newDN)
	e.sync(t, "sync after a rename")
	_, users = e.gotState(t)
	after := usersByName(users)["p03.renamed@example.com"]
	if after.ID == "" || after.ID != before.ID || after.ExternalID != before.ExternalID {
		t.Errorf("renamed user: got %+v, want SCIM id %s kept", after, before.ID)
	}
	if n := e.scim.Requests(http.MethodPost); n != 0 {
		t.Errorf("POST requests after a rename: got %d, want 0 (no user re-created)", n)
	}

	// A member DN that does not exist makes gold incomplete: a member
	// removed at the same time is not removed from the target.
	e.modify(t, "cn=gold,ou=groups,"+ldaptest.Suffix, func(r *ldap.ModifyRequest) {
		r.Add("member", []string{"uid=ghost,ou=people," + ldaptest.Suffix})
		r.Delete("member", []string{"uid=p39,ou=people," + ldaptest.Suffix})
	})
	// The run reports the group incomplete (and so is partial).
	if _, out := e.cli(t, "sync"); !strings.Contains(out, "group gold@example.com (hq-to-app): incomplete") {
		t.Errorf("sync with an unresolvable member: want gold reported incomplete:\n%s", out)
	}
	got, _ = e.gotState(t)
	if !contains(got["gold@example.com"], "p39@example.com") || len(got["gold@example.com"]) != 5 {
		t.Errorf("gold after an incomplete read: got %q, want its 5 members kept", got["gold@example.com"])
	}
}

// TestLDAPCheckFailedBind: a wrong password makes check exit 1 with one
// line naming the bind DN.
func TestLDAPCheckFailedBind(t *testing.T) {
	e := newLDAPE2E(t)
	t.Setenv("E2E_LDAP_PASSWORD", "wrong")
	code, out := e.cli(t, "check")
	want := `FAIL  source hq (ldap): ldap: bind: bind as "cn=admin,dc=example,dc=com" refused: invalid credentials (wrong DN or password)`
	if code != exitError || !strings.Contains(out, want+"\n") {
		t.Errorf("check with a wrong password: exit %d, output:\n%s\nwant exit 1 and the line %q", code, out, want)
	}
}

func usersByName(byExt map[string]scimUser) map[string]scimUser {
	out := map[string]scimUser{}
	for _, u := range byExt {
		out[strings.ToLower(u.UserName)] = u
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
