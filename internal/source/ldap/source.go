// Package ldap reads groups, their members and users from an LDAP directory
// (OpenLDAP, Active Directory and other RFC 4511 servers), as the `ldap`
// source type. It connects over ldap://, ldaps:// or StartTLS, binds with a
// password, reads with RFC 2696 paged searches, and flattens nested groups
// itself with cycles reported (or, on Active Directory, can ask the server
// with the in-chain matching rule). Users and groups are keyed by an
// immutable attribute (entryUUID, objectGUID), never by their DN, so a
// renamed or moved entry keeps its identity. Anything that cannot be read
// or resolved makes the group incomplete, never smaller.
package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Flavors: they only change the defaults the config fills in.
const (
	FlavorOpenLDAP = "openldap"
	FlavorAD       = "ad"
)

// Config configures a Source. The registry builds it from config.Source
// (whose defaults fill the filters and attributes), resolving the password
// and CA file first.
type Config struct {
	// URL is ldap://HOST[:PORT] or ldaps://HOST[:PORT].
	URL string
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool
	// CAPEM holds the CA certificates to trust (default: the system pool).
	CAPEM []byte
	// ServerName is the name the certificate must carry (default: URL host).
	ServerName string
	// BindDN and Password are the simple bind; an empty BindDN reads
	// anonymously.
	BindDN   string
	Password string
	BaseDN   string
	// OneLevel searches only the base DN's direct children (default: the
	// whole subtree).
	OneLevel    bool
	UserFilter  string
	GroupFilter string
	// PageSize is the RFC 2696 page size (default 500).
	PageSize int
	// Attributes each list alternatives; the first present one is used.
	IDAttrs          []string
	EmailAttrs       []string
	GivenNameAttrs   []string
	FamilyNameAttrs  []string
	DisplayNameAttrs []string
	DisabledAttrs    []string
	// PasswordAttrs hold the user's password hash ({CRYPT}…, {SHA}…),
	// read only for targets that can set it (PasswordHash).
	PasswordAttrs []string
	// InChain reads a group's flattened users with Active Directory's
	// LDAP_MATCHING_RULE_IN_CHAIN instead of walking nested groups here.
	InChain bool
	// ConnectTimeout bounds DNS, TCP, TLS and bind (default 10s); Timeout
	// bounds each LDAP operation (default 60s).
	ConnectTimeout time.Duration
	Timeout        time.Duration
}

// Source reads an LDAP directory. It is safe for concurrent use; the user
// and group sweeps and member-DN lookups are cached until Reset, so that a
// run reads each once however many groups need them.
type Source struct {
	cfg    Config
	log    *slog.Logger
	addr   string // host:port
	host   string
	tls    *tls.Config
	scope  int
	uidKey string
	// searches counts search requests sent (each page is one).
	searches atomic.Int64

	poolMu sync.Mutex
	idle   []*ldap.Conn

	mu      sync.Mutex
	users   *userIndex
	groups  *groupIndex
	lookups map[string]*lookup
}

// New builds a Source. It does not connect; use Check to test the
// connection and credentials.
func New(cfg Config, logger *slog.Logger) (*Source, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if len(cfg.IDAttrs) == 0 {
		return nil, errors.New("ldap: no ID attribute")
	}
	for _, a := range cfg.IDAttrs {
		if strings.EqualFold(a, "dn") || strings.EqualFold(a, "distinguishedName") {
			return nil, fmt.Errorf("ldap: the ID attribute cannot be %s: a DN changes on rename", a)
		}
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Hostname() == "" {
		return nil, fmt.Errorf("ldap: url %q is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]", cfg.URL)
	}
	if u.Scheme == "ldaps" && cfg.StartTLS {
		return nil, errors.New("ldap: start_tls applies to ldap:// URLs only")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"ldap": "389", "ldaps": "636"}[u.Scheme]
	}
	s := &Source{
		cfg: cfg, log: logger, host: u.Hostname(), addr: net.JoinHostPort(u.Hostname(), port),
		scope: ldap.ScopeWholeSubtree, uidKey: "uid", lookups: map[string]*lookup{},
	}
	if cfg.OneLevel {
		s.scope = ldap.ScopeSingleLevel
	}
	if u.Scheme == "ldaps" || cfg.StartTLS {
		s.tls, err = tlsConfig(cfg, s.host)
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// tlsConfig verifies the server's certificate itself (the documented
// VerifyConnection pattern) so that a refusal can name the certificate's
// subject: go-ldap flattens StartTLS handshake errors to text.
func tlsConfig(cfg Config, host string) (*tls.Config, error) {
	var roots *x509.CertPool
	if len(cfg.CAPEM) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, errors.New("ldap: tls.ca_file holds no PEM certificate")
		}
	}
	name := cfg.ServerName
	if name == "" {
		name = host
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         name,
		InsecureSkipVerify: true, // verified in VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			leaf := cs.PeerCertificates[0]
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
			if err != nil {
				return fmt.Errorf("certificate of %q (issued by %q) is not trusted for %s: %w", leaf.Subject.String(), leaf.Issuer.String(), name, err)
			}
			return nil
		},
	}, nil
}

// Reset drops the cached sweeps and lookups, so the next read sees the
// directory as it is now. The engine calls it at the start of each run.
func (s *Source) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.groups = nil, nil
	s.lookups = map[string]*lookup{}
}

// Searches returns how many search requests (pages and base reads) the
// Source has sent.
func (s *Source) Searches() int64 { return s.searches.Load() }

// Close closes the idle connections.
func (s *Source) Close() error {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	for _, c := range s.idle {
		c.Close()
	}
	s.idle = nil
	return nil
}
