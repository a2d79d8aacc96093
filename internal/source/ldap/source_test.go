package ldap_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/ldap"
	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
)

// openLDAPConfig is the config's openldap defaults for a test server.
func openLDAPConfig(srv *ldaptest.Server) ldap.Config {
	return ldap.Config{
		URL: srv.URL, BindDN: ldaptest.AdminDN, Password: ldaptest.Password, BaseDN: ldaptest.Suffix,
		UserFilter:       "(objectClass=inetOrgPerson)",
		GroupFilter:      "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
		IDAttrs:          []string{"entryUUID"},
		EmailAttrs:       []string{"mail"},
		GivenNameAttrs:   []string{"givenName"},
		FamilyNameAttrs:  []string{"sn"},
		DisplayNameAttrs: []string{"displayName", "cn"},
	}
}

func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newSource(t *testing.T, cfg ldap.Config) *ldap.Source {
	t.Helper()
	s, err := ldap.New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// byEmail finds a listed group.
func byEmail(t *testing.T, s *ldap.Source, email string) model.GroupInfo {
	t.Helper()
	groups, err := s.ListGroups(context.Background())
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	for _, g := range groups {
		if g.Email == email {
			return g
		}
	}
	t.Fatalf("no group %s in %+v", email, groups)
	return model.GroupInfo{}
}

func memberEmails(m model.Membership) []string {
	out := []string{}
	for _, mem := range m.Members {
		out = append(out, mem.Email)
	}
	sort.Strings(out)
	return out
}

func TestGroupFlavours(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	s := newSource(t, openLDAPConfig(srv))
	ctx := context.Background()
	tests := []struct {
		group      string
		opts       model.MemberOptions
		want       []string
		incomplete bool
		cycles     [][]string
	}{
		// groupOfNames/member, nested platform, whose member eng closes a cycle.
		{group: "eng@example.com", want: []string{"ann@example.com", "bob@example.com", "cat@example.com"},
			cycles: [][]string{{"eng@example.com", "platform@example.com", "eng@example.com"}}},
		{group: "eng@example.com", opts: model.MemberOptions{Nested: "direct"}, want: []string{"ann@example.com", "bob@example.com"}},
		// groupOfUniqueNames/uniqueMember, one value with the optional UID.
		{group: "design", want: []string{"dan@example.com", "eve@example.com"}},
		// posixGroup/memberUid, resolved by uid.
		{group: "ops", want: []string{"ann@example.com", "dan@example.com"}},
		// A member DN that does not exist: incomplete, and nobody else lost.
		{group: "broken@example.com", want: []string{"ann@example.com", "bob@example.com"}, incomplete: true},
		// A member that exists but is not a user: skipped, not incomplete.
		{group: "mixed", want: []string{"cat@example.com"}},
	}
	for _, tt := range tests {
		g := byEmail(t, s, tt.group)
		m, err := s.ReadMembers(ctx, g, tt.opts)
		if err != nil {
			t.Fatalf("ReadMembers(%s): %v", tt.group, err)
		}
		if diff := cmp.Diff(tt.want, memberEmails(m)); diff != "" {
			t.Errorf("ReadMembers(%s, %+v) members (-want +got):\n%s", tt.group, tt.opts, diff)
		}
		if m.Incomplete != tt.incomplete {
			t.Errorf("ReadMembers(%s): Incomplete = %v, want %v (problems %q)", tt.group, m.Incomplete, tt.incomplete, m.Problems)
		}
		if diff := cmp.Diff(tt.cycles, m.Cycles); diff != "" {
			t.Errorf("ReadMembers(%s, %+v) cycles (-want +got):\n%s", tt.group, tt.opts, diff)
		}
	}
	broken, _ := s.ReadMembers(ctx, byEmail(t, s, "broken@example.com"), model.MemberOptions{})
	if len(broken.Problems) != 1 || !strings.Contains(broken.Problems[0], "uid=ghost,ou=people,dc=example,dc=com does not exist") {
		t.Errorf("broken problems: got %q, want one naming the missing DN", broken.Problems)
	}
}

func TestUsersAndIDs(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	s := newSource(t, openLDAPConfig(srv))
	users, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != 5 {
		t.Fatalf("ListUsers: got %d users, want 5", len(users))
	}
	for _, u := range users {
		if len(u.ID) != 36 || strings.Contains(u.ID, "=") {
			t.Errorf("user %s: ID %q is not an entryUUID", u.Email, u.ID)
		}
		if u.Email == "bob@example.com" && (u.DisplayName != "Bob B." || u.GivenName != "Bob" || u.FamilyName != "Baker") {
			t.Errorf("bob: got %+v, want displayName, givenName and sn read", u)
		}
		if u.Email == "ann@example.com" && u.DisplayName != "Ann Archer" {
			t.Errorf("ann: display name %q, want the cn fallback", u.DisplayName)
		}
	}
}

// A renamed and moved entry keeps its ID: refint rewrites the group's
// member value, and the ID attribute never changes.
func TestRenamedDNKeepsItsID(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	s := newSource(t, openLDAPConfig(srv))
	ctx := context.Background()
	eng := byEmail(t, s, "eng@example.com")
	before, err := s.ReadMembers(ctx, eng, model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := srv.Admin(t)
	if err := admin.Add(&goldap.AddRequest{DN: "ou=staff," + ldaptest.Suffix, Attributes: []goldap.Attribute{
		{Type: "objectClass", Vals: []string{"organizationalUnit"}}, {Type: "ou", Vals: []string{"staff"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := admin.ModifyDN(goldap.NewModifyDNRequest("uid=bob,ou=people,"+ldaptest.Suffix, "uid=robert", true, "ou=staff,"+ldaptest.Suffix)); err != nil {
		t.Fatalf("rename: %v", err)
	}
	srv.WaitForMember(t, "cn=eng,ou=groups,"+ldaptest.Suffix, "uid=robert,ou=staff,"+ldaptest.Suffix)
	s.Reset()
	after, err := s.ReadMembers(ctx, byEmail(t, s, "eng@example.com"), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Incomplete {
		t.Errorf("after the rename: incomplete %q", after.Problems)
	}
	if diff := cmp.Diff(before.MemberIDs(), after.MemberIDs()); diff != "" {
		t.Errorf("member IDs changed with a DN (-before +after):\n%s", diff)
	}
	if got := byEmail(t, s, "eng@example.com").ID; got != eng.ID {
		t.Errorf("group ID: got %s, want %s", got, eng.ID)
	}
}

func TestPagingAcrossPages(t *testing.T) {
	var ldif strings.Builder
	ldif.WriteString("dn: cn=big,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: big\n")
	for i := range 57 {
		ldif.WriteString("member: uid=u" + strconv.Itoa(i) + ",ou=people,dc=example,dc=com\n")
	}
	for i := range 57 {
		ldif.WriteString("\ndn: uid=u" + strconv.Itoa(i) + ",ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u" + strconv.Itoa(i) +
			"\ncn: U\nsn: U\nmail: u" + strconv.Itoa(i) + "@example.com\n")
	}
	srv := ldaptest.Start(t, []byte(ldif.String()))
	cfg := openLDAPConfig(srv)
	cfg.PageSize = 10
	s := newSource(t, cfg)
	users, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != 57 {
		t.Errorf("ListUsers: got %d users, want 57", len(users))
	}
	if got := s.Searches(); got < 6 {
		t.Errorf("the user sweep took %d search requests, want 6 pages of 10", got)
	}
	m, err := s.ReadMembers(context.Background(), byEmail(t, s, "big"), model.MemberOptions{})
	if err != nil || m.Incomplete || len(m.Members) != 57 {
		t.Errorf("ReadMembers(big): %d members, incomplete %v, err %v; want 57, complete", len(m.Members), m.Incomplete, err)
	}
}
