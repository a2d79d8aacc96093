// Package scimmypeer starts the third-party SCIM server in
// scripts/scim-server (npm scimmy + scimmy-routers) for tests and
// benchmarks, behind a loopback proxy that counts requests by method, so
// tests can assert how many writes a sync made without trusting the client.
package scimmypeer

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running scimmy server.
type Server struct {
	// URL is the SCIM base URL (through the counting proxy).
	URL   string
	Token string

	mu     sync.Mutex
	counts map[string]int
	paths  map[string]int // "METHOD /Groups/ID" → count
}

// Options configures the server.
type Options struct {
	// MaxResults is the page size the server advertises and enforces
	// (MAX_RESULTS; the server's default, 50, when 0).
	MaxResults int
	// BulkMaxOperations, when positive, turns Bulk on with this
	// maxOperations (SCIM_BULK_MAX_OPERATIONS). Without it the server
	// advertises no Bulk and answers /Bulk with 501.
	BulkMaxOperations int
}

// Start starts the server with a page size of maxResults and no Bulk, as
// StartWith does.
func Start(tb testing.TB, maxResults int) *Server {
	tb.Helper()
	return StartWith(tb, Options{MaxResults: maxResults})
}

// StartWith starts the server on a free 127.0.0.1 port and stops it when
// the test ends. Where node or the server's packages are missing the test
// is skipped, unless GROUPSYNC_REQUIRE_PEERS=1 (CI), where it fails.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	var env []string
	if opts.MaxResults > 0 {
		env = append(env, fmt.Sprintf("MAX_RESULTS=%d", opts.MaxResults))
	}
	if opts.BulkMaxOperations > 0 {
		env = append(env, fmt.Sprintf("SCIM_BULK_MAX_OPERATIONS=%d", opts.BulkMaxOperations))
	}
	unavailable := tb.Skipf
	if os.Getenv("GROUPSYNC_REQUIRE_PEERS") == "1" {
		unavailable = tb.Fatalf
	}
	dir, err := serverDir()
	if err != nil {
		tb.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed: %v", err)
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "scimmy-routers")); err != nil {
		unavailable("scimmy server not installed; run: npm ci --prefix scripts/scim-server")
		return nil
	}
	const token = "scimmy-peer-token"
	cmd := exec.Command(node, "server.js")
	cmd.Dir = dir
	// The variables the server reads are set here or not at all, so that
	// none leaks in from the test's environment.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAX_RESULTS" || name == "SCIM_BULK_MAX_OPERATIONS"
	})
	cmd.Env = append(cmd.Env, "SCIM_TOKEN="+token, "PORT=0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start scimmy server: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				ready <- u
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	var upstream string
	select {
	case upstream = <-ready:
	case <-time.After(30 * time.Second):
		tb.Fatalf("scimmy server did not print its address within 30s")
	}
	u, err := url.Parse(upstream)
	if err != nil {
		tb.Fatalf("scimmy address %q: %v", upstream, err)
	}
	s := &Server{Token: token, counts: map[string]int{}, paths: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.paths[r.Method+" "+strings.TrimPrefix(r.URL.Path, u.Path)]++
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(ps.Close)
	s.URL = ps.URL + u.Path
	return s
}

// Requests returns how many requests of a method the server received.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

// Writes returns the number of POST, PUT, PATCH and DELETE requests.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[http.MethodPost] + s.counts[http.MethodPut] + s.counts[http.MethodPatch] + s.counts[http.MethodDelete]
}

// PathRequests returns, per path under prefix (e.g. "/Groups/"), how
// many requests of a method it received.
func (s *Server) PathRequests(method, prefix string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, n := range s.paths {
		if p, ok := strings.CutPrefix(k, method+" "); ok && strings.HasPrefix(p, prefix) {
			out[p] = n
		}
	}
	return out
}

// Reset zeroes the counters.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.paths = map[string]int{}
}

// serverDir finds scripts/scim-server from the module root above the
// working directory (tests run in their package's directory).
func serverDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "scim-server"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("scimmypeer: no go.mod above the working directory")
		}
		dir = parent
	}
}
