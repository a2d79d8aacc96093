// Package scimtest is an in-process SCIM 2.0 service provider for tests,
// strict where AWS IAM Identity Center is strict: it needs a bearer token;
// filters only with eq and and, on a few attributes; clamps count to
// MaxResults; requires userName, displayName, given and family names, at
// most one (primary) email and a boolean active; takes at most 100 member
// changes per PATCH; refuses to replace or remove all members; has no PUT
// for groups; and returns no members on a group GET. Options make it
// stricter still (409 on re-adding a member, 400 on removing a non-member,
// no filtered remove paths) or take away PATCH, to exercise fallbacks. Bulk
// is unsupported unless Options.BulkMaxOperations turns it on.
//
// Tests reach it through the real scim client; they read its state with
// User, Group and Members.
package scimtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Options configures a Server. The zero value is AWS-like.
type Options struct {
	// Token is the bearer token requests must carry (default "test-token").
	Token string
	// MaxResults caps count on listings (default 100).
	MaxResults int
	// PageSize, when set, is the most resources a listing returns whatever
	// count asks, without advertising it (Slack-like).
	PageSize int
	// MaxPatchMembers caps member changes in one PATCH (default 100).
	MaxPatchMembers int
	// NoPatch makes the server advertise no PATCH, refuse PATCH with 501
	// and accept PUT of groups instead.
	NoPatch bool
	// ETag advertises ETags and enforces If-Match when a request sends it.
	ETag bool
	// NoServiceProviderConfig answers 404 on /ServiceProviderConfig.
	NoServiceProviderConfig bool
	// MembersInGet returns members on GET /Groups/{id} (AWS does not).
	MembersInGet bool
	// RejectDuplicateAdd answers 409 when a PATCH adds an existing member.
	RejectDuplicateAdd bool
	// RejectMissingRemove answers 400 noTarget when a PATCH removes a
	// non-member.
	RejectMissingRemove bool
	// RejectFilteredRemove answers 400 invalidPath for remove paths of the
	// form members[value eq "ID"], so that clients must send value arrays.
	RejectFilteredRemove bool
	// EmptyUnsupportedFilter answers a filter the server does not support,
	// and any filter on members.value, with 200 and no results instead of
	// 400, as the Go library elimity-com/scim does.
	EmptyUnsupportedFilter bool
	// HideMembers leaves members out of every group GET, even with
	// NoPatch, so that a client cannot rebuild the member list from it.
	HideMembers bool
	// GroupPatchStatus, when set, is the status every group PATCH answers
	// with, unapplied; SetGroupPatchStatus changes it on a running server.
	GroupPatchStatus int
	// Enterprise advertises the enterprise user extension in
	// /ResourceTypes (without it that endpoint answers 404). The server
	// stores the extension's attributes either way.
	Enterprise bool
	// BulkMaxOperations, when positive, advertises Bulk (RFC 7644 §3.7)
	// with this maxOperations and serves POST /Bulk for POST operations
	// on /Users. Without it the server advertises no Bulk and answers
	// /Bulk with 501.
	BulkMaxOperations int
	// BulkMaxPayloadSize is the advertised maxPayloadSize in bytes
	// (default 1 MiB with BulkMaxOperations); a larger Bulk body gets 413.
	BulkMaxPayloadSize int
	// BulkStatus, when set, is the status every POST /Bulk answers with,
	// unapplied, with a detail saying Bulk is not supported: a server
	// that advertises Bulk and does not serve it.
	BulkStatus int
}

// User is a user as the server stores it.
type User struct {
	ID          string
	ExternalID  string
	UserName    string
	DisplayName string
	GivenName   string
	FamilyName  string
	Emails      []string
	Active      bool
	Title       string
	// Enterprise holds the enterprise extension's attributes as sent.
	Enterprise map[string]any
	version    int
}

// Group is a group as the server stores it; Members are user IDs, each
// once (the server keeps a set: AddGroup and POST /Groups store a repeated
// member once).
type Group struct {
	ID          string
	ExternalID  string
	DisplayName string
	Members     []string
}

// group is how the server holds a Group: with a member set, so that a
// PATCH of a large group costs what it changes.
type group struct {
	id          string
	externalID  string
	displayName string
	members     memberSet
	version     int
}

func (g *group) export() Group {
	return Group{
		ID:          g.id,
		ExternalID:  g.externalID,
		DisplayName: g.displayName,
		Members:     slices.Sorted(slices.Values(g.members.list())),
	}
}

// Server is a running fake SCIM provider on 127.0.0.1.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu   sync.Mutex
	next int
	// users and groups are kept with indexes (index.go) that every write
	// updates through storeUser, dropUser, storeGroup and dropGroup.
	users map[string]*User
	// userNames is keyed on foldKey(userName), userExtIDs on externalId.
	userNames, userExtIDs multiIndex
	// userOrder is the user IDs sorted, as listings return them; nil
	// after a create or delete until the next listing.
	userOrder []string
	groups    map[string]*group
	// groupNames is keyed on foldKey(displayName), groupExtIDs on
	// externalId.
	groupNames, groupExtIDs multiIndex
	groupOrder              []string
	// dangling is set once AddGroup stored a member that is not a user:
	// from then on a group PATCH checks all the group's members, not
	// only those it adds.
	dangling bool
	requests map[string]int
	faults   []fault
	patches  map[string]int
	bulks    []BulkRequest
}

type fault struct {
	method     string
	status     int
	retryAfter string
}

// NewServer starts a Server; Close stops it.
func NewServer(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = 100
	}
	if opts.MaxPatchMembers <= 0 {
		opts.MaxPatchMembers = 100
	}
	if opts.BulkMaxOperations > 0 && opts.BulkMaxPayloadSize <= 0 {
		opts.BulkMaxPayloadSize = 1 << 20
	}
	s := &Server{
		opts:        opts,
		users:       make(map[string]*User),
		userNames:   make(multiIndex),
		userExtIDs:  make(multiIndex),
		groups:      make(map[string]*group),
		groupNames:  make(multiIndex),
		groupExtIDs: make(multiIndex),
		requests:    make(map[string]int),
		patches:     make(map[string]int),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the SCIM base URL, ending in /scim/v2.
func (s *Server) URL() string { return s.srv.URL + "/scim/v2" }

// Token is the bearer token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// User returns a copy of a stored user.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	c := *u
	c.Emails = slices.Clone(u.Emails)
	return c, true
}

// Users returns copies of all stored users, sorted by userName.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		c := *u
		c.Emails = slices.Clone(u.Emails)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.UserName, b.UserName) })
	return out
}

// Group returns a copy of a stored group with sorted members.
func (s *Server) Group(id string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		return Group{}, false
	}
	return g.export(), true
}

// Groups returns copies of all stored groups with sorted members, sorted
// by displayName.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g.export())
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	return out
}

// Members returns a group's sorted member IDs (nil if there is no group).
func (s *Server) Members(groupID string) []string {
	g, _ := s.Group(groupID)
	return g.Members
}

// AddUser stores u as if someone else had created it and returns its ID.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.ID = s.newID("u")
	u.version = 1
	s.storeUser(nil, &u)
	return u.ID
}

// AddGroup stores g as if someone else had created it and returns its ID.
func (s *Server) AddGroup(g Group) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := &group{
		id:          s.newID("g"),
		externalID:  g.ExternalID,
		displayName: g.DisplayName,
		members:     newMemberSet(g.Members),
		version:     1,
	}
	for _, m := range g.Members {
		if _, ok := s.users[m]; !ok {
			s.dangling = true
		}
	}
	s.storeGroup(nil, n)
	return n.id
}

// Fail makes the next n requests with method ("" for any) fail with status,
// sending Retry-After when retryAfter is not empty.
func (s *Server) Fail(method string, n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{method: method, status: status, retryAfter: retryAfter})
	}
}

// Requests returns the number of requests served, by method.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// Patches returns the number of PATCH requests a group received.
func (s *Server) Patches(groupID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.patches[groupID]
}

func (s *Server) newID(prefix string) string {
	s.next++
	return prefix + "-" + strconv.Itoa(s.next)
}

// scimError is an error response. Status is sent as a string, as RFC 7644
// §3.12 shows it, so that clients must parse it leniently.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func errorf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *scimError) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(errorBody(e))
}

func errorBody(e *scimError) map[string]any {
	return map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":   strconv.Itoa(e.status),
		"scimType": e.scimType,
		"detail":   e.detail,
	}
}

func writeJSON(w http.ResponseWriter, status int, etag string, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.Method]++
	if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		writeError(w, errorf(http.StatusUnauthorized, "", "missing or invalid bearer token"))
		return
	}
	for i, f := range s.faults {
		if f.method == "" || f.method == r.Method {
			s.faults = slices.Delete(s.faults, i, i+1)
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			writeError(w, errorf(f.status, "", "injected failure"))
			return
		}
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/scim/v2")
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "", "no such endpoint"))
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var err *scimError
	switch {
	case len(parts) == 1 && parts[0] == "ServiceProviderConfig" && r.Method == http.MethodGet:
		err = s.serviceProviderConfig(w)
	case len(parts) == 1 && parts[0] == "ResourceTypes" && r.Method == http.MethodGet && s.opts.Enterprise:
		writeJSON(w, http.StatusOK, "", resourceTypes)
	case len(parts) == 1 && parts[0] == "Users":
		err = s.users1(w, r)
	case len(parts) == 2 && parts[0] == "Users":
		err = s.user(w, r, parts[1])
	case len(parts) == 1 && parts[0] == "Groups":
		err = s.groups1(w, r)
	case len(parts) == 2 && parts[0] == "Groups":
		err = s.group(w, r, parts[1])
	case len(parts) == 1 && parts[0] == "Bulk":
		err = s.bulk(w, r)
	default:
		err = errorf(http.StatusNotFound, "", "no such endpoint %s %s", r.Method, path)
	}
	if err != nil {
		writeError(w, err)
	}
}

func (s *Server) serviceProviderConfig(w http.ResponseWriter) *scimError {
	if s.opts.NoServiceProviderConfig {
		return errorf(http.StatusNotFound, "", "no such endpoint")
	}
	writeJSON(w, http.StatusOK, "", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"patch":   map[string]any{"supported": !s.opts.NoPatch},
		"bulk": map[string]any{
			"supported":      s.opts.BulkMaxOperations > 0,
			"maxOperations":  max(s.opts.BulkMaxOperations, 0),
			"maxPayloadSize": s.opts.BulkMaxPayloadSize,
		},
		"filter":         map[string]any{"supported": true, "maxResults": s.opts.MaxResults},
		"etag":           map[string]any{"supported": s.opts.ETag},
		"sort":           map[string]any{"supported": false},
		"changePassword": map[string]any{"supported": false},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "bearer token",
		}},
	})
	return nil
}

func (s *Server) etag(v int) string {
	if !s.opts.ETag {
		return ""
	}
	return `W/"` + strconv.Itoa(v) + `"`
}

// checkIfMatch enforces If-Match when ETags are on and the client sent one.
func (s *Server) checkIfMatch(r *http.Request, version int) *scimError {
	if !s.opts.ETag {
		return nil
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != s.etag(version) {
		return errorf(http.StatusPreconditionFailed, "", "version %s does not match %s", m, s.etag(version))
	}
	return nil
}
