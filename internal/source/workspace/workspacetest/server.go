// Package workspacetest is an in-process fake of the Google Workspace Admin
// SDK Directory API (groups.list, members.list, users.list), its OAuth 2.0
// token endpoint (JWT bearer grant, as domain-wide delegation uses it) and
// the IAM Credentials signJwt method used for keyless delegation.
//
// The real Google client reaches it over HTTP on 127.0.0.1. It reproduces
// the API's JSON shapes (kind, etag, arrays, nextPageToken, no members key
// for an empty group), paging, maxResults caps, fields= masks, error bodies,
// a per-window request quota answered with 403 userRateLimitExceeded and
// Retry-After, injected faults, and request counters. Tests, benchmarks and
// `make demo` (through cmd/fakedirectory) use it.
package workspacetest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sharedKey is the one RSA key of the process's servers: generating a
// 2048-bit key per server would dominate short tests.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("workspacetest: generating key: %v", err))
	}
	return key
})

// Endpoints, as counted by Requests.
const (
	EndpointGroups  = "groups"
	EndpointMembers = "members"
	EndpointUsers   = "users"
	EndpointToken   = "token"
	EndpointSignJWT = "signJwt"
)

// Scopes the fake knows.
const (
	ScopeGroupReadonly = "https://www.googleapis.com/auth/admin.directory.group.readonly"
	ScopeUserReadonly  = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeGroup         = "https://www.googleapis.com/auth/admin.directory.group"
	ScopeUser          = "https://www.googleapis.com/auth/admin.directory.user"
	ScopeGroupMember   = "https://www.googleapis.com/auth/admin.directory.group.member"
	ScopeAuditReadonly = "https://www.googleapis.com/auth/admin.reports.audit.readonly"
)

// ClientID is the OAuth client ID (the service account's unique ID) of the
// keys the fake issues.
const ClientID = "104200000000000000042"

// Server serves an Org. Its methods are safe for concurrent use.
type Server struct {
	hs      *httptest.Server
	key     *rsa.PrivateKey
	keyID   string
	granted map[string]bool

	mu          sync.Mutex
	org         *Org
	usersByID   map[string]*User  // IDs never change
	groupsByID  map[string]*Group // IDs never change
	faults      []*Fault
	quota       int
	quotaWindow time.Duration
	recent      []time.Time // API request times within the quota window
	tokens      map[string]tokenGrant
	nextToken   int
	counts      map[string]int64
	rejected    int64
	now         func() time.Time
	// audit is the Reports API's log (reports.go).
	audit audit

	total atomic.Int64
}

type tokenGrant struct {
	subject string
	scopes  map[string]bool
}

// Option configures a Server.
type Option func(*Server)

// WithQuota makes the server accept at most limit Directory API requests in
// any sliding window of the given length and answer the rest with 403
// userRateLimitExceeded and a Retry-After header. Google's default is 2,400
// a minute.
func WithQuota(limit int, window time.Duration) Option {
	return func(s *Server) { s.quota, s.quotaWindow = limit, window }
}

// WithGrantedScopes sets the scopes domain-wide delegation grants to the
// fake's client ID. A token request for any other scope is refused with
// 401 unauthorized_client, as Google does. Default: every Scope* constant.
func WithGrantedScopes(scopes ...string) Option {
	return func(s *Server) {
		s.granted = map[string]bool{}
		for _, sc := range scopes {
			s.granted[sc] = true
		}
	}
}

// WithListener serves on l (e.g. a fixed 127.0.0.1 port) instead of a
// random local port.
func WithListener(l net.Listener) Option {
	return func(s *Server) {
		s.hs.Listener.Close()
		s.hs.Listener = l
	}
}

// NewServer starts a server for org, which it copies. Close it when done.
func NewServer(org *Org, opts ...Option) *Server {
	s := &Server{
		key:   sharedKey(),
		keyID: "fakekey0001",
		granted: map[string]bool{
			ScopeGroupReadonly: true, ScopeUserReadonly: true, ScopeGroup: true, ScopeUser: true, ScopeGroupMember: true,
			ScopeAuditReadonly: true,
		},
		org:    org.clone(),
		tokens: map[string]tokenGrant{},
		counts: map[string]int64{},
		now:    time.Now,
	}
	s.usersByID = make(map[string]*User, len(s.org.Users))
	for _, u := range s.org.Users {
		s.usersByID[u.ID] = u
	}
	s.groupsByID = make(map[string]*Group, len(s.org.Groups))
	for _, g := range s.org.Groups {
		s.groupsByID[g.ID] = g
	}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	for _, o := range opts {
		o(s)
	}
	s.hs.Start()
	return s
}

// URL is the API base URL, to use as the client's endpoint.
func (s *Server) URL() string { return s.hs.URL }

// TokenURL is the OAuth token endpoint.
func (s *Server) TokenURL() string { return s.hs.URL + "/token" }

// Close shuts the server down.
func (s *Server) Close() { s.hs.Close() }

// Requests returns how many requests reached one endpoint (Endpoint*),
// rejected ones included.
func (s *Server) Requests(endpoint string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// TotalRequests returns how many Directory API requests (groups, members
// and users; not token or signJwt) reached the server, rejected ones
// included.
func (s *Server) TotalRequests() int64 { return s.total.Load() }

// QuotaRejections returns how many requests the quota refused.
func (s *Server) QuotaRejections() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// ResetCounters zeroes the request counters.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int64{}
	s.rejected = 0
	s.total.Store(0)
}

// Org returns a copy of the current organisation.
func (s *Server) Org() *Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.org.clone()
}

// user finds a user by ID or primary email. Called with s.mu held.
func (s *Server) user(key string) *User {
	if u, ok := s.usersByID[key]; ok {
		return u
	}
	return s.org.User(key)
}

// group finds a group by ID or email. Called with s.mu held.
func (s *Server) group(key string) *Group {
	if g, ok := s.groupsByID[key]; ok {
		return g
	}
	return s.org.Group(key)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/token" && r.Method == http.MethodPost:
		s.count(EndpointToken)
		if s.fault(w, EndpointToken, "", 0) {
			return
		}
		s.serveToken(w, r)
	case strings.HasPrefix(p, "/v1/projects/") && strings.HasSuffix(p, ":signJwt") && r.Method == http.MethodPost:
		s.count(EndpointSignJWT)
		if s.fault(w, EndpointSignJWT, "", 0) {
			return
		}
		s.serveSignJWT(w, r)
	case strings.HasPrefix(p, "/_fake/"):
		s.serveAdmin(w, r)
	case p == batchPath && r.Method == http.MethodPost:
		s.serveBatch(w, r)
	case strings.HasPrefix(p, reportsPath) && r.Method == http.MethodGet:
		s.count(EndpointReports)
		s.total.Add(1)
		if s.admit(w, r, EndpointReports, "", 0, ScopeAuditReadonly) {
			s.serveActivities(w, r, strings.TrimPrefix(p, reportsPath))
		}
	case strings.HasPrefix(p, "/admin/directory/v1/") && r.Method == http.MethodGet && isListing(p):
		s.serveDirectory(w, r, strings.TrimPrefix(p, "/admin/directory/v1/"))
	case strings.HasPrefix(p, "/admin/directory/v1/"):
		s.serveResource(w, r, strings.TrimPrefix(p, "/admin/directory/v1/"))
	default:
		writeError(w, http.StatusNotFound, "notFound", "global", "Not Found")
	}
}

func (s *Server) count(endpoint string) {
	s.mu.Lock()
	s.counts[endpoint]++
	s.mu.Unlock()
}

// writeError writes Google's JSON error body.
func writeError(w http.ResponseWriter, code int, reason, domain, msg string) {
	status := map[int]string{
		400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
		429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
	}[code]
	body := map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"errors":  []any{map[string]any{"message": msg, "domain": domain, "reason": reason}},
		"status":  status,
	}}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
