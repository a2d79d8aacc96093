package config

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ldapRest = okTargets + "rules:\n  - {name: eng, source: hq, target: app}\n"

func TestLDAPDefaultsFollowTheFlavor(t *testing.T) {
	tests := []struct {
		flavor string
		want   Source
	}{
		{"", Source{
			Type: TypeLDAP, URL: "ldap://ldap.example.com", BaseDN: "dc=example,dc=com", Flavor: FlavorOpenLDAP,
			UserFilter:  "(objectClass=inetOrgPerson)",
			GroupFilter: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
			Scope:       ScopeSub, PageSize: 500, ConnectTimeout: 10 * time.Second, Timeout: time.Minute,
			Attributes: LDAPAttributes{ID: "entryUUID", Email: "mail", GivenName: "givenName", FamilyName: "sn", DisplayName: "displayName|cn", PasswordHash: "userPassword"},
		}},
		{"ad", Source{
			Type: TypeLDAP, URL: "ldap://ldap.example.com", BaseDN: "dc=example,dc=com", Flavor: FlavorAD,
			UserFilter: "(&(objectClass=user)(!(objectClass=computer)))", GroupFilter: "(objectClass=group)",
			Scope: ScopeSub, PageSize: 500, ConnectTimeout: 10 * time.Second, Timeout: time.Minute,
			Attributes: LDAPAttributes{ID: "objectGUID", Email: "userPrincipalName|mail", GivenName: "givenName", FamilyName: "sn",
				DisplayName: "displayName|cn", Disabled: "userAccountControl"},
		}},
	}
	for _, tt := range tests {
		yaml := "sources:\n  hq: {type: ldap, url: \"ldap://ldap.example.com\", base_dn: \"dc=example,dc=com\", flavor: \"" + tt.flavor + "\"}\n" + ldapRest
		f, err := Parse("groupsync.yaml", []byte(yaml))
		if err != nil {
			t.Fatalf("flavor %q: Parse = %v", tt.flavor, err)
		}
		if diff := cmp.Diff(tt.want, f.Sources["hq"]); diff != "" {
			t.Errorf("flavor %q: defaults (-want +got):\n%s", tt.flavor, diff)
		}
	}
}

func TestLDAPKeepsWhatIsSet(t *testing.T) {
	yaml := `sources:
  hq:
    type: ldap
    url: ldaps://ldap.example.com:636
    bind_dn: cn=groupsync,ou=svc,dc=example,dc=com
    password: env://LDAP_PASSWORD
    base_dn: dc=example,dc=com
    group_filter: (objectClass=groupOfNames)
    page_size: 50
    scope: one
    connect_timeout: 3s
    attributes: {id: ipaUniqueID, email: mail|userPrincipalName}
    tls: {ca_file: file://ca.pem, server_name: ldap.example.com}
` + ldapRest
	f, err := Parse("groupsync.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	s := f.Sources["hq"]
	if s.PageSize != 50 || s.Scope != ScopeOne || s.ConnectTimeout != 3*time.Second || s.Attributes.ID != "ipaUniqueID" ||
		s.Attributes.Email != "mail|userPrincipalName" || s.Attributes.GivenName != "givenName" || s.TLS.ServerName != "ldap.example.com" {
		t.Errorf("got %+v, want the values set and defaults for the rest", s)
	}
}

func TestLDAPProblems(t *testing.T) {
	tests := []struct {
		name, source string
		want         []string
	}{
		{
			name:   "missing",
			source: "{type: ldap}",
			want: []string{
				`groupsync.yaml: sources.hq.url: required (want ldap://HOST[:PORT] or ldaps://HOST[:PORT])`,
				`groupsync.yaml: sources.hq.base_dn: required: the DN under which users and groups are searched`,
			},
		},
		{
			name: "bad values",
			source: `{type: ldap, url: "http://x", bind_dn: "cn", password: "hunter2", base_dn: "dc=x,,", user_filter: "(uid=a",` +
				` scope: tree, page_size: -1, flavor: novell, attributes: {id: dn, email: "mail||x"}}`,
			want: []string{
				`groupsync.yaml: sources.hq.url: "http://x" is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]`,
				`groupsync.yaml: sources.hq.password: is not a secret reference; the value is not shown (want env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V)`,
				`groupsync.yaml: sources.hq.bind_dn: "cn" is not a DN: DN ended with incomplete type, value pair`,
				`groupsync.yaml: sources.hq.base_dn: "dc=x,," is not a DN: incomplete type, value pair`,
				`groupsync.yaml: sources.hq.user_filter: "(uid=a" is not an LDAP filter: unexpected end of filter`,
				`groupsync.yaml: sources.hq.scope: "tree" is not sub or one`,
				`groupsync.yaml: sources.hq.page_size: -1 is not a positive number`,
				`groupsync.yaml: sources.hq.flavor: "novell" is not openldap or ad`,
				`groupsync.yaml: sources.hq.attributes.email: "mail||x" is not an attribute name, or names joined by |`,
				`groupsync.yaml: sources.hq.attributes.id: "dn" changes when an entry is renamed or moved; use an immutable attribute (entryUUID, objectGUID)`,
			},
		},
		{
			name:   "tls without tls, in_chain without ad, workspace keys",
			source: `{type: ldap, url: "ldap://x", base_dn: "dc=x", tls: {server_name: x}, in_chain: true, admin_subject: a@example.com, qpm: 5}`,
			want: []string{
				`groupsync.yaml: sources.hq.tls: applies to ldaps:// URLs or start_tls: true only`,
				`groupsync.yaml: sources.hq.in_chain: needs flavor: ad (the matching rule 1.2.840.113556.1.4.1941 is Active Directory's)`,
				`groupsync.yaml: sources.hq.admin_subject: applies to type workspace only`,
				`groupsync.yaml: sources.hq.qpm: applies to type workspace only`,
			},
		},
		{
			name:   "start_tls on ldaps and a password without bind_dn",
			source: `{type: ldap, url: "ldaps://x", base_dn: "dc=x", start_tls: true, password: env://P}`,
			want: []string{
				`groupsync.yaml: sources.hq.start_tls: applies to ldap:// URLs only (ldaps:// is TLS from the start)`,
				`groupsync.yaml: sources.hq.bind_dn: required when password is set`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("groupsync.yaml", []byte("sources:\n  hq: "+tt.source+"\n"+ldapRest))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
