// Package ldaptest runs a real OpenLDAP slapd (the Debian package, installed
// by scripts/slapd.sh) for tests and the LDAP demo: an unprivileged process
// on 127.0.0.1 with its config, database and a test CA in a temporary
// directory, seeded from LDIF with slapadd. The directory has the standard
// OpenLDAP schemas plus a small Active Directory-like schema (ad.schema).
package ldaptest

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The directory every server holds and its administrator.
const (
	Suffix   = "dc=example,dc=com"
	AdminDN  = "cn=admin," + Suffix
	Password = "admin-secret"
)

//go:embed slapd.conf.tmpl
var confTemplate string

//go:embed ad.schema
var adSchema []byte

// ErrNotInstalled is returned by Run when slapd or slapadd is missing.
var ErrNotInstalled = errors.New("slapd is not installed (run: bash scripts/slapd.sh install)")

// Server is a running slapd.
type Server struct {
	// URL is ldap:// (plain, StartTLS offered); LDAPSURL is ldaps://.
	URL      string
	LDAPSURL string
	// CAFile is the PEM of the CA that signed the server's certificate
	// (valid for ServerName and 127.0.0.1).
	CAFile string
	Dir    string

	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
}

// BaseLDIF is the suffix entry and the ou=people and ou=groups containers.
const BaseLDIF = `dn: ` + Suffix + `
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,` + Suffix + `
objectClass: organizationalUnit
ou: people

dn: ou=groups,` + Suffix + `
objectClass: organizationalUnit
ou: groups
`

// Start runs a server seeded with BaseLDIF and then ldif, and stops it
// when the test ends. Without slapd the test is skipped, unless
// GROUPSYNC_REQUIRE_PEERS=1, where it fails.
func Start(tb testing.TB, ldif ...[]byte) *Server {
	tb.Helper()
	s, err := Run(tb.TempDir(), append([][]byte{[]byte(BaseLDIF)}, ldif...)...)
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("GROUPSYNC_REQUIRE_PEERS") == "1" {
			tb.Fatalf("%v", err)
		}
		tb.Skipf("%v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Run writes a config, the test CA and the seeded database into dir and
// starts slapd on two free 127.0.0.1 ports. The caller must Close it.
func Run(dir string, ldif ...[]byte) (*Server, error) {
	slapd, slapadd := lookSbin("slapd"), lookSbin("slapadd")
	if slapd == "" || slapadd == "" {
		return nil, ErrNotInstalled
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, fmt.Errorf("ldaptest: %w", err)
	}
	if err := writeCerts(dir); err != nil {
		return nil, fmt.Errorf("ldaptest: certificates: %w", err)
	}
	schema := filepath.Join(dir, "ad.schema")
	conf := filepath.Join(dir, "slapd.conf")
	seed := filepath.Join(dir, "seed.ldif")
	err := errors.Join(
		os.WriteFile(schema, adSchema, 0o600),
		os.WriteFile(conf, []byte(Config(dir, schema)), 0o600),
		os.WriteFile(seed, bytes.Join(ldif, []byte("\n")), 0o600),
	)
	if err != nil {
		return nil, fmt.Errorf("ldaptest: %w", err)
	}
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", seed).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ldaptest: slapadd: %w\n%s", err, out)
	}
	var lastErr error
	for range 3 { // a port taken between picking and binding is retried
		s, err := start(slapd, dir, conf)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// Config returns slapd.conf for a server whose files live in dir.
func Config(dir, schema string) string {
	return strings.NewReplacer("@DIR@", dir, "@SCHEMA@", schema, "@SUFFIX@", Suffix, "@ROOTPW@", Password).Replace(confTemplate)
}

func start(slapd, dir, conf string) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("ldaptest: %w", err)
	}
	plain := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	tlsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	s := &Server{
		URL: "ldap://" + plain, LDAPSURL: "ldaps://" + tlsAddr,
		CAFile: filepath.Join(dir, "ca.pem"), Dir: dir,
		out: &tailBuffer{max: 8 << 10}, done: make(chan struct{}),
	}
	// -d keeps slapd in the foreground, so it is ours to stop.
	s.cmd = exec.Command(slapd, "-f", conf, "-h", s.URL+"/ "+s.LDAPSURL+"/", "-d", "0")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ldaptest: start slapd: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", plain, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("ldaptest: slapd exited: %s", s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("ldaptest: slapd did not listen on %s: %s", plain, s.out.String())
		}
	}
}

// Close stops slapd and waits for it to exit.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// Admin returns a connection bound as the directory administrator, for
// tests that change the directory. It is closed when the test ends.
func (s *Server) Admin(tb testing.TB) *ldap.Conn {
	tb.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		tb.Fatalf("ldaptest: dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.Bind(AdminDN, Password); err != nil {
		tb.Fatalf("ldaptest: bind: %v", err)
	}
	return c
}

// WaitForMember waits until group's member attribute holds member. slapd's
// refint overlay rewrites member values in the background after a rename,
// so a test that renames an entry waits for it before reading.
func (s *Server) WaitForMember(tb testing.TB, group, member string) {
	tb.Helper()
	c := s.Admin(tb)
	for range 100 {
		res, err := c.Search(ldap.NewSearchRequest(group, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"member"}, nil))
		if err != nil {
			tb.Fatalf("ldaptest: read %s: %v", group, err)
		}
		for _, e := range res.Entries {
			for _, v := range e.GetAttributeValues("member") {
				if strings.EqualFold(v, member) {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("ldaptest: refint did not rewrite %s's member to %s", group, member)
}

// lookSbin finds a program on PATH or in /usr/sbin, which is not on every
// user's PATH.
func lookSbin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailBuffer keeps the last max bytes of slapd's output for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
