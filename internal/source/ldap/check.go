package ldap

import (
	"context"
	"fmt"

	"github.com/go-ldap/ldap/v3"
)

// Check connects and binds, reads base_dn, and counts the users and groups
// in scope. A failure is a *StageError naming what failed: DNS, TCP, TLS
// (with the certificate's subject), bind (with the DN), the base DN, or a
// filter's syntax.
func (s *Source) Check(ctx context.Context) error {
	for _, f := range []struct{ key, filter string }{{"user_filter", s.cfg.UserFilter}, {"group_filter", s.cfg.GroupFilter}} {
		if _, err := ldap.CompileFilter(f.filter); err != nil {
			return &StageError{StageFilter, fmt.Sprintf("%s %q is not valid LDAP filter syntax: %s", f.key, f.filter, ldapReason(err)), err}
		}
	}
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := s.read(c, s.cfg.BaseDN, []string{"1.1"}); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return &StageError{StageSearch, fmt.Sprintf("base_dn %q does not exist (or %s may not read it)", s.cfg.BaseDN, s.binder()), err}
		}
		return &StageError{StageSearch, fmt.Sprintf("read base_dn %q: %s", s.cfg.BaseDN, ldapReason(err)), err}
	}
	var counts [2]int
	for i, f := range []struct{ key, filter string }{{"user_filter", s.cfg.UserFilter}, {"group_filter", s.cfg.GroupFilter}} {
		_, err := s.search(ctx, c, s.cfg.BaseDN, s.scope, f.filter, []string{"1.1"}, func(*ldap.Entry) { counts[i]++ })
		switch {
		case err == nil:
		case ldap.IsErrorAnyOf(err, ldap.LDAPResultFilterError, ldap.LDAPResultProtocolError, ldap.LDAPResultInappropriateMatching):
			return &StageError{StageFilter, fmt.Sprintf("the server refused %s %q: %s", f.key, f.filter, ldapReason(err)), err}
		default:
			return &StageError{StageSearch, fmt.Sprintf("search %s %q: %s", f.key, f.filter, ldapReason(err)), err}
		}
	}
	s.log.InfoContext(ctx, "ldap check", "url", s.cfg.URL, "base_dn", s.cfg.BaseDN, "users", counts[0], "groups", counts[1])
	return nil
}

func (s *Source) binder() string {
	if s.cfg.BindDN == "" {
		return "an anonymous bind"
	}
	return fmt.Sprintf("%q", s.cfg.BindDN)
}
