package ldap_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/ldap"
	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
)

// TestStartTLSWithTestCA reads over StartTLS and ldaps://, trusting only
// the CA the test generated.
func TestStartTLSWithTestCA(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	ca, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		url      string
		startTLS bool
	}{
		{"starttls", srv.URL, true},
		{"ldaps", srv.LDAPSURL, false},
	} {
		cfg := openLDAPConfig(srv)
		cfg.URL, cfg.StartTLS, cfg.CAPEM, cfg.ServerName = tc.url, tc.startTLS, ca, ldaptest.ServerName
		s := newSource(t, cfg)
		if err := s.Check(context.Background()); err != nil {
			t.Fatalf("%s: Check: %v", tc.name, err)
		}
		m, err := s.ReadMembers(context.Background(), byEmail(t, s, "eng@example.com"), model.MemberOptions{})
		if err != nil || len(m.Members) != 3 {
			t.Errorf("%s: ReadMembers: %d members, %v; want 3", tc.name, len(m.Members), err)
		}
	}
}

func TestCheckSaysWhatFailed(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name  string
		edit  func(*ldap.Config)
		stage string
		want  string
	}{
		{"dns", func(c *ldap.Config) { c.URL = "ldap://no-such-host.invalid:389" }, ldap.StageDNS, "cannot resolve no-such-host.invalid"},
		{"tcp", func(c *ldap.Config) { c.URL = "ldap://" + closedAddr }, ldap.StageTCP, "cannot connect to " + closedAddr + ": connect: connection refused"},
		{"tls untrusted", func(c *ldap.Config) { c.StartTLS = true }, ldap.StageTLS,
			`certificate of "CN=ldap.groupsync.test,O=groupsync tests" (issued by "CN=groupsync test CA,O=groupsync tests") is not trusted for 127.0.0.1`},
		{"tls wrong name", func(c *ldap.Config) {
			c.StartTLS, c.ServerName = true, "ldap.example.com"
			c.CAPEM, _ = os.ReadFile(srv.CAFile)
		}, ldap.StageTLS, `certificate of "CN=ldap.groupsync.test,O=groupsync tests" (issued by "CN=groupsync test CA,O=groupsync tests") is not trusted for ldap.example.com`},
		{"bind", func(c *ldap.Config) { c.Password = "wrong" }, ldap.StageBind,
			`ldap: bind: bind as "cn=admin,dc=example,dc=com" refused: invalid credentials (wrong DN or password)`},
		{"filter syntax", func(c *ldap.Config) { c.UserFilter = "(uid=ann" }, ldap.StageFilter, `user_filter "(uid=ann" is not valid LDAP filter syntax`},
		{"base dn", func(c *ldap.Config) { c.BaseDN = "ou=nowhere,dc=example,dc=com" }, ldap.StageSearch, `base_dn "ou=nowhere,dc=example,dc=com" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := openLDAPConfig(srv)
			tt.edit(&cfg)
			err := newSource(t, cfg).Check(context.Background())
			var se *ldap.StageError
			if !errors.As(err, &se) || se.Stage != tt.stage {
				t.Fatalf("Check: got %v, want a %s StageError", err, tt.stage)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Check: got %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

// A failed bind makes reads fail as errors, not as empty groups.
func TestReadsFailOnABadBind(t *testing.T) {
	srv := ldaptest.Start(t, seed(t, "directory.ldif"))
	cfg := openLDAPConfig(srv)
	cfg.Password = "wrong"
	s := newSource(t, cfg)
	if groups, err := s.ListGroups(context.Background()); err == nil {
		t.Errorf("ListGroups with a bad bind: got %d groups and no error", len(groups))
	}
	if users, err := s.ListUsers(context.Background()); err == nil {
		t.Errorf("ListUsers with a bad bind: got %d users and no error", len(users))
	}
}
