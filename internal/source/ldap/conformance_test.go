package ldap_test

import (
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
	"github.com/groupsync/groupsync/internal/source/sourcetest"
)

func TestConformance(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	s := newSource(t, openLDAPConfig(srv))
	sourcetest.Run(t, sourcetest.Fixture{
		Source:  s,
		Group:   "eng@example.com",
		Members: []string{"ann@example.com", "bob@example.com", "cat@example.com"},
		Broken:  "broken@example.com",
		Keeps:   []string{"ann@example.com", "bob@example.com"},
		// A rename moves the entry and changes its mail, as an operator's
		// rename does; refint rewrites the group's member value.
		Rename: func(t *testing.T, from string) string {
			uid, _, _ := strings.Cut(from, "@")
			admin := srv.Admin(t)
			oldDN := "uid=" + uid + ",ou=people," + ldaptest.Suffix
			if err := admin.ModifyDN(goldap.NewModifyDNRequest(oldDN, "uid="+uid+"2", true, "")); err != nil {
				t.Fatalf("rename: %v", err)
			}
			newDN := "uid=" + uid + "2,ou=people," + ldaptest.Suffix
			mod := goldap.NewModifyRequest(newDN, nil)
			mod.Replace("mail", []string{uid + "2@example.com"})
			if err := admin.Modify(mod); err != nil {
				t.Fatalf("change mail: %v", err)
			}
			srv.WaitForMember(t, "cn=eng,ou=groups,"+ldaptest.Suffix, newDN)
			return uid + "2@example.com"
		},
		Reset: s.Reset,
	})
}
