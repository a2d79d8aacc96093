package config

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// LDAP source values and defaults (type: ldap).
const (
	TypeLDAP       = "ldap"
	FlavorOpenLDAP = "openldap"
	FlavorAD       = "ad"
	ScopeSub       = "sub"
	ScopeOne       = "one"

	DefaultPageSize       = 500
	DefaultConnectTimeout = 10 * time.Second
	DefaultLDAPTimeout    = time.Minute
)

// LDAPTLS configures the TLS of ldaps:// and StartTLS connections.
type LDAPTLS struct {
	// CAFile is a secret reference to the PEM of the CA certificates to
	// trust instead of the system pool (normally file://ca.pem).
	CAFile string `yaml:"ca_file"`
	// ServerName is the name the server's certificate must carry (default:
	// the URL's host).
	ServerName string `yaml:"server_name"`
}

// LDAPAttributes names the attributes a user is read from. Each value may
// list alternatives separated by "|": the first present one is used.
type LDAPAttributes struct {
	ID          string `yaml:"id"`
	Email       string `yaml:"email"`
	GivenName   string `yaml:"given_name"`
	FamilyName  string `yaml:"family_name"`
	DisplayName string `yaml:"display_name"`
	// Disabled marks a user suspended: for userAccountControl when bit 2
	// (ACCOUNTDISABLE) is set, for any other attribute when it holds a
	// value other than FALSE, 0 or no.
	Disabled string `yaml:"disabled"`
	// PasswordHash holds the user's password hash, for targets that can
	// set it (a Google Workspace target takes {CRYPT}, {SHA} and {MD5}).
	// The bind DN needs read access to it.
	PasswordHash string `yaml:"password_hash"`
}

// ldapFlavors holds each flavor's defaults. The ID is never the DN: a DN
// changes when an entry is renamed or moved.
var ldapFlavors = map[string]struct {
	users, groups string
	attrs         LDAPAttributes
}{
	FlavorOpenLDAP: {
		users:  "(objectClass=inetOrgPerson)",
		groups: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
		attrs: LDAPAttributes{ID: "entryUUID", Email: "mail", GivenName: "givenName", FamilyName: "sn", DisplayName: "displayName|cn",
			PasswordHash: "userPassword"},
	},
	FlavorAD: {
		users:  "(&(objectClass=user)(!(objectClass=computer)))",
		groups: "(objectClass=group)",
		attrs: LDAPAttributes{ID: "objectGUID", Email: "userPrincipalName|mail", GivenName: "givenName", FamilyName: "sn",
			DisplayName: "displayName|cn", Disabled: "userAccountControl"},
	},
}

// reAttrList is one attribute name or OID, or several joined by "|".
var reAttrList = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(\|([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+))*$`)

// withLDAPDefaults fills in an ldap source's defaults from its flavor.
func (s Source) withLDAPDefaults() Source {
	if s.Flavor == "" {
		s.Flavor = FlavorOpenLDAP
	}
	if s.Scope == "" {
		s.Scope = ScopeSub
	}
	if s.PageSize == 0 {
		s.PageSize = DefaultPageSize
	}
	if s.ConnectTimeout == 0 {
		s.ConnectTimeout = DefaultConnectTimeout
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultLDAPTimeout
	}
	fl, ok := ldapFlavors[s.Flavor]
	if !ok {
		return s // validation names the flavor
	}
	if s.UserFilter == "" {
		s.UserFilter = fl.users
	}
	if s.GroupFilter == "" {
		s.GroupFilter = fl.groups
	}
	a := &s.Attributes
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&a.ID, fl.attrs.ID}, {&a.Email, fl.attrs.Email}, {&a.GivenName, fl.attrs.GivenName},
		{&a.FamilyName, fl.attrs.FamilyName}, {&a.DisplayName, fl.attrs.DisplayName}, {&a.Disabled, fl.attrs.Disabled},
		{&a.PasswordHash, fl.attrs.PasswordHash},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return s
}

// validateLDAP checks an ldap source (after withLDAPDefaults).
func (s Source) validateLDAP(p *problems, key string) {
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "":
		p.add(key+".url", "required (want ldap://HOST[:PORT] or ldaps://HOST[:PORT])")
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" || (u.Path != "" && u.Path != "/"):
		p.add(key+".url", "%q is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]", s.URL)
	case u.Scheme == "ldaps" && s.StartTLS:
		p.add(key+".start_tls", "applies to ldap:// URLs only (ldaps:// is TLS from the start)")
	case u.Scheme == "ldap" && !s.StartTLS && (s.TLS != LDAPTLS{}):
		p.add(key+".tls", "applies to ldaps:// URLs or start_tls: true only")
	}
	switch {
	case s.BindDN == "" && s.Password != "":
		p.add(key+".bind_dn", "required when password is set")
	case s.BindDN != "" && s.Password == "":
		p.add(key+".password", "required with bind_dn (want %s)", secretRefWant)
	case s.Password != "":
		if err := checkSecretRef(s.Password); err != nil {
			p.add(key+".password", "%v", err)
		}
	}
	checkDN(p, key+".bind_dn", s.BindDN)
	if s.BaseDN == "" {
		p.add(key+".base_dn", "required: the DN under which users and groups are searched")
	}
	checkDN(p, key+".base_dn", s.BaseDN)
	for _, f := range []struct{ name, v string }{{"user_filter", s.UserFilter}, {"group_filter", s.GroupFilter}} {
		if f.v == "" {
			continue // an unknown flavor has no default; flavor says why
		}
		if _, err := ldap.CompileFilter(f.v); err != nil {
			p.add(key+"."+f.name, "%q is not an LDAP filter: %s", f.v, filterReason(err))
		}
	}
	if s.Scope != ScopeSub && s.Scope != ScopeOne {
		p.add(key+".scope", "%q is not %s or %s", s.Scope, ScopeSub, ScopeOne)
	}
	if s.PageSize < 0 || s.PageSize > 1<<31-1 {
		p.add(key+".page_size", "%d is not a positive number", s.PageSize)
	}
	if s.ConnectTimeout < 0 {
		p.add(key+".connect_timeout", "%v is negative", s.ConnectTimeout)
	}
	if s.Timeout < 0 {
		p.add(key+".timeout", "%v is negative", s.Timeout)
	}
	if _, ok := ldapFlavors[s.Flavor]; !ok {
		p.add(key+".flavor", "%q is not %s or %s", s.Flavor, FlavorOpenLDAP, FlavorAD)
	} else if s.InChain && s.Flavor != FlavorAD {
		p.add(key+".in_chain", "needs flavor: ad (the matching rule 1.2.840.113556.1.4.1941 is Active Directory's)")
	}
	if s.TLS.CAFile != "" {
		if err := checkSecretRef(s.TLS.CAFile); err != nil {
			p.add(key+".tls.ca_file", "%v", err)
		}
	}
	if n := s.TLS.ServerName; n != "" && strings.ContainsAny(n, "/: @") {
		p.add(key+".tls.server_name", "%q is not a host name", n)
	}
	a := s.Attributes
	for _, f := range []struct{ name, v string }{
		{"id", a.ID}, {"email", a.Email}, {"given_name", a.GivenName}, {"family_name", a.FamilyName},
		{"display_name", a.DisplayName}, {"disabled", a.Disabled}, {"password_hash", a.PasswordHash},
	} {
		if f.v != "" && !reAttrList.MatchString(f.v) {
			p.add(key+".attributes."+f.name, "%q is not an attribute name, or names joined by |", f.v)
		}
	}
	if strings.EqualFold(a.ID, "dn") || strings.EqualFold(a.ID, "distinguishedName") {
		p.add(key+".attributes.id", "%q changes when an entry is renamed or moved; use an immutable attribute (entryUUID, objectGUID)", a.ID)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"customer", s.Customer != ""}, {"domain", s.Domain != ""}, {"admin_subject", s.AdminSubject != ""},
		{"credentials", s.Credentials != ""}, {"service_account", s.ServiceAccount != ""},
		{"endpoint", s.Endpoint != ""}, {"token_url", s.TokenURL != ""}, {"qpm", s.QPM != 0},
	} {
		if f.set {
			p.add(key+"."+f.name, "applies to type %s only", TypeWorkspace)
		}
	}
}

func checkDN(p *problems, key, dn string) {
	if dn == "" {
		return
	}
	if _, err := ldap.ParseDN(dn); err != nil {
		p.add(key, "%q is not a DN: %v", dn, err)
	}
}

// filterReason is the reason in a go-ldap filter compile error, without
// the result-code preamble.
func filterReason(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		err = le.Err
	}
	return strings.TrimPrefix(err.Error(), "ldap: ")
}
