package ldap_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/ldap"
	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
)

// adConfig is the config's flavor: ad defaults.
func adConfig(url, base string) ldap.Config {
	return ldap.Config{
		URL: url, BindDN: "cn=admin," + base, Password: ldaptest.Password, BaseDN: base,
		UserFilter:       "(&(objectClass=user)(!(objectClass=computer)))",
		GroupFilter:      "(objectClass=group)",
		IDAttrs:          []string{"objectGUID"},
		EmailAttrs:       []string{"userPrincipalName", "mail"},
		GivenNameAttrs:   []string{"givenName"},
		FamilyNameAttrs:  []string{"sn"},
		DisplayNameAttrs: []string{"displayName", "cn"},
		DisabledAttrs:    []string{"userAccountControl"},
	}
}

func TestGUIDString(t *testing.T) {
	b := []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}
	if got, want := ldap.GUIDString(b), "03020100-0504-0706-0809-0a0b0c0d0e0f"; got != want {
		t.Errorf("GUIDString: got %s, want %s", got, want)
	}
}

// adLDIF is three AD-like users on slapd with ad.schema: objectGUID as
// bytes, userAccountControl 512 (enabled) or 514 (disabled), and one
// without userPrincipalName, whose mail is used instead.
func adLDIF() []byte {
	var b strings.Builder
	users := []struct {
		cn, upn, mail string
		uac           int
	}{
		{"ada", "ada@corp.example.com", "ada.l@example.com", 512},
		{"ben", "", "ben@example.com", 512},
		{"cy", "cy@corp.example.com", "", 514},
	}
	for i, u := range users {
		fmt.Fprintf(&b, "dn: cn=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: user\ncn: %s\nsn: %s\n", u.cn, ldaptest.Suffix, u.cn, u.cn)
		fmt.Fprintf(&b, "objectGUID:: %s\nuserAccountControl: %d\n", base64.StdEncoding.EncodeToString(guidBytes(i+1)), u.uac)
		if u.upn != "" {
			fmt.Fprintf(&b, "userPrincipalName: %s\n", u.upn)
		}
		if u.mail != "" {
			fmt.Fprintf(&b, "mail: %s\n", u.mail)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "dn: cn=staff,ou=groups,%s\nobjectClass: group\ncn: staff\nmail: staff@example.com\nobjectGUID:: %s\n", ldaptest.Suffix, base64.StdEncoding.EncodeToString(guidBytes(0x8001)))
	for _, u := range users {
		fmt.Fprintf(&b, "member: cn=%s,ou=people,%s\n", u.cn, ldaptest.Suffix)
	}
	return []byte(b.String())
}

// TestADAttributesOnSlapd reads objectGUID, userPrincipalName|mail and
// userAccountControl from slapd seeded with the AD-like schema.
func TestADAttributesOnSlapd(t *testing.T) {
	srv := ldaptest.Start(t, adLDIF())
	s := newSource(t, adConfig(srv.URL, ldaptest.Suffix))
	users, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	want := []model.User{
		{ID: ldap.GUIDString(guidBytes(1)), Email: "ada@corp.example.com", DisplayName: "ada", FamilyName: "ada"},
		{ID: ldap.GUIDString(guidBytes(2)), Email: "ben@example.com", DisplayName: "ben", FamilyName: "ben"},
		{ID: ldap.GUIDString(guidBytes(3)), Email: "cy@corp.example.com", DisplayName: "cy", FamilyName: "cy", Suspended: true},
	}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Errorf("ListUsers (-want +got):\n%s", diff)
	}
	g := byEmail(t, s, "staff@example.com")
	if g.ID != ldap.GUIDString(guidBytes(0x8001)) {
		t.Errorf("group ID: got %s, want its objectGUID", g.ID)
	}
	for _, tt := range []struct {
		opts model.MemberOptions
		want []string
	}{
		{model.MemberOptions{}, []string{"ada@corp.example.com", "ben@example.com"}},
		{model.MemberOptions{IncludeSuspended: true}, []string{"ada@corp.example.com", "ben@example.com", "cy@corp.example.com"}},
	} {
		m, err := s.ReadMembers(context.Background(), g, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, memberEmails(m)); diff != "" {
			t.Errorf("ReadMembers(%+v) (-want +got):\n%s", tt.opts, diff)
		}
	}
}

func fakeUsers(f *adFake, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, f.users[i].dn)
	}
	return out
}

// TestADRangedMember reads a 3,500-member group in AD's ranges of 1,500.
func TestADRangedMember(t *testing.T) {
	f := startADFake(t, 3600)
	f.addGroup("big", 1, fakeUsers(f, 0, 3500)...)
	s := newSource(t, adConfig("ldap://"+f.addr, adBase))
	m, err := s.ReadMembers(context.Background(), byEmail(t, s, "big"), model.MemberOptions{})
	if err != nil {
		t.Fatalf("ReadMembers: %v", err)
	}
	if m.Incomplete || len(m.Members) != 3500 {
		t.Errorf("ReadMembers: %d members, incomplete %v (%q); want 3500, complete", len(m.Members), m.Incomplete, m.Problems)
	}
	if diff := cmp.Diff([]string{"member;range=1500-*", "member;range=3000-*"}, f.ranges); diff != "" {
		t.Errorf("range requests (-want +got):\n%s", diff)
	}
	if m.Members[0].ID != ldap.GUIDString(guidBytes(0)) || m.Members[0].Email != "u0000@ad.test" {
		t.Errorf("first member: got %+v", m.Members[0])
	}
}

// A range that fails keeps the members read before it and marks the group
// incomplete.
func TestADFailedRangeIsIncomplete(t *testing.T) {
	f := startADFake(t, 3600)
	f.addGroup("big", 1, fakeUsers(f, 0, 3500)...)
	f.failRange = 3000
	s := newSource(t, adConfig("ldap://"+f.addr, adBase))
	m, err := s.ReadMembers(context.Background(), byEmail(t, s, "big"), model.MemberOptions{})
	if err != nil {
		t.Fatalf("ReadMembers: %v", err)
	}
	if !m.Incomplete || len(m.Members) != 3000 {
		t.Errorf("ReadMembers: %d members, incomplete %v; want the first 3000, incomplete", len(m.Members), m.Incomplete)
	}
	if len(m.Problems) != 1 || !strings.Contains(m.Problems[0], "member;range=3000-*") {
		t.Errorf("problems: got %q, want the failed range named", m.Problems)
	}
}
