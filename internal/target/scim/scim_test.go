package scim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

func testUser(n int) model.User {
	return model.User{
		ID:         fmt.Sprintf("src-%d", n),
		Email:      fmt.Sprintf("user%d@example.com", n),
		GivenName:  "User",
		FamilyName: fmt.Sprint(n),
	}
}

func createUsers(t *testing.T, tg *scim.Target, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		c, err := tg.CreateUser(t.Context(), testUser(i), target.CreateOptions{Active: true})
		if err != nil {
			t.Fatalf("CreateUser(%d): %v", i, err)
		}
		ids[i] = c.ID
	}
	return ids
}

func createGroup(t *testing.T, tg *scim.Target) string {
	t.Helper()
	c, err := tg.CreateGroup(t.Context(), model.GroupInfo{ID: "gsrc", Email: "eng@example.com"}, target.CreateOptions{})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	return c.ID
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []scim.Config{
		{},
		{URL: "https://x.example.com/scim"},
		{URL: "ftp://x.example.com", Token: "t"},
		{URL: "https://x.example.com/scim?x=1", Token: "t"},
		{URL: "https://x.example.com", Token: "t", BatchSize: -1},
	} {
		if _, err := scim.New(t.Context(), cfg, nil); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

func TestCreateUserPayloadIsStrict(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	c, err := tg.CreateUser(t.Context(), model.User{ID: "s1", Email: " Jo.Doe@Example.com "}, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateUser without names: %v", err)
	}
	got, _ := srv.User(c.ID)
	want := scimtest.User{
		ID: c.ID, ExternalID: "s1", UserName: "Jo.Doe@Example.com", DisplayName: "Jo.Doe",
		GivenName: "Jo.Doe", FamilyName: "Jo.Doe", Emails: []string{"Jo.Doe@Example.com"}, Active: true,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(scimtest.User{})); diff != "" {
		t.Errorf("stored user (-want +got):\n%s", diff)
	}
}

// TestConflictOnCreateIsResolvedByLookup: a filter that misses an existing
// user (eventual consistency, case) must not lead to a blind retry of the
// create: the 409 is resolved by looking the user up again.
func TestConflictOnCreateIsResolvedByLookup(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	existing := srv.AddUser(scimtest.User{UserName: "user1@example.com", DisplayName: "U", GivenName: "U", FamilyName: "One", Active: true})

	// A proxy that answers the first two user lookups with an empty list.
	var misses atomic.Int32
	misses.Store(2)
	up, _ := url.Parse(srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: up.Scheme, Host: up.Host})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Users") && misses.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/scim+json")
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	for _, tc := range []struct {
		adopt   bool
		want    target.Created
		wantErr error
	}{
		{adopt: false, wantErr: target.ErrConflict},
		{adopt: true, want: target.Created{ID: existing, Adopted: true}},
	} {
		misses.Store(2)
		tg, err := scim.New(t.Context(), scim.Config{URL: front.URL + "/scim/v2", Token: srv.Token(), MinBackoff: time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tg.CreateUser(t.Context(), testUser(1), target.CreateOptions{Active: true, Adopt: tc.adopt})
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("CreateUser(Adopt=%v) = %+v, %v; want %+v, %v", tc.adopt, got, err, tc.want, tc.wantErr)
		}
		if n := tg.Stats().Requests["POST"]; n != 1 {
			t.Errorf("CreateUser(Adopt=%v) sent %d POSTs, want 1 (no blind retry)", tc.adopt, n)
		}
	}
	if n := len(srv.Users()); n != 1 {
		t.Errorf("server has %d users, want 1", n)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	srv.Fail("POST", 2, http.StatusTooManyRequests, "0")
	srv.Fail("GET", 1, http.StatusServiceUnavailable, "")
	if _, err := tg.CreateUser(t.Context(), testUser(1), target.CreateOptions{Active: true}); err != nil {
		t.Fatalf("CreateUser after 429s and a 503: %v", err)
	}
	if got := tg.Stats().Retries; got != 3 {
		t.Errorf("Retries = %d, want 3", got)
	}
	if n := len(srv.Users()); n != 1 {
		t.Errorf("server has %d users, want 1", n)
	}
}

func TestRetriesAreCapped(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg, err := scim.New(t.Context(), scim.Config{URL: srv.URL(), Token: srv.Token(), MaxRetries: 2, MinBackoff: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Fail("", 10, http.StatusBadGateway, "")
	err = tg.DisableUser(t.Context(), "u-1")
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("DisableUser during an outage: err = %v, want a 502", err)
	}
	if got := tg.Stats().Requests["PATCH"]; got != 3 {
		t.Errorf("PATCH requests = %d, want 3 (1 + 2 retries)", got)
	}
}

// TestNotImplementedIsNotRetried: 501 and 505 say the server lacks what
// the request needs, so the client falls back (501 on PATCH: GET and PUT)
// or fails at once instead of sending the request again.
func TestNotImplementedIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status int
		// wantErr is whether DisableUser fails: 501 on a PATCH falls back
		// to PUT, 505 has no fallback.
		wantErr bool
	}{
		{http.StatusNotImplemented, false},
		{http.StatusHTTPVersionNotSupported, true},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv := scimtest.NewServer(scimtest.Options{})
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			id := createUsers(t, tg, 1)[0]
			before := tg.Stats()
			srv.Fail(http.MethodPatch, 10, tc.status, "")
			err := tg.DisableUser(t.Context(), id)
			if got := err != nil; got != tc.wantErr {
				t.Errorf("DisableUser after a %d: err = %v, want error %t", tc.status, err, tc.wantErr)
			}
			after := tg.Stats()
			if got := after.Requests[http.MethodPatch] - before.Requests[http.MethodPatch]; got != 1 {
				t.Errorf("PATCH requests = %d, want 1", got)
			}
			if got := after.Retries - before.Retries; got != 0 {
				t.Errorf("Retries = %d, want 0", got)
			}
			if u, _ := srv.User(id); u.Active != tc.wantErr {
				t.Errorf("user active = %t after DisableUser, want %t", u.Active, tc.wantErr)
			}
		})
	}
}

func TestClientErrorsAreNotRetriedAndCarryDetail(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	id := createUsers(t, tg, 1)[0]
	before := tg.Stats()
	// Renaming to another user's userName: the server answers 409.
	srv.AddUser(scimtest.User{UserName: "user1@example.com", DisplayName: "x", GivenName: "x", FamilyName: "x"})
	err := tg.UpdateUser(t.Context(), id, testUser(1))
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != http.StatusConflict || se.ScimType != "uniqueness" || !strings.Contains(se.Detail, "already exists") {
		t.Errorf("UpdateUser to a taken userName: err = %#v, want a 409 uniqueness with detail", err)
	}
	if got := tg.Stats().Requests["PATCH"] - before.Requests["PATCH"]; got != 1 {
		t.Errorf("PATCH requests = %d, want 1", got)
	}
}

func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	const token = "s3cr3t-t0k3n"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":503,"detail":"bad header %s"}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tg, err := scim.New(t.Context(), scim.Config{URL: echo.URL, Token: token, MaxRetries: 1, MinBackoff: time.Millisecond}, logger)
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Check(t.Context())
	if err == nil {
		t.Fatal("Check against a failing server succeeded")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error leaks the token: %v", err)
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("logs leak the token: %s", logs.String())
	}
}

func TestCheck(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name, url, token, want string
	}{
		{"ok", srv.URL(), srv.Token(), ""},
		{"bad token", srv.URL(), "wrong", "refused the token (401"},
		{"unreachable", closed.URL, "tok", "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := scim.New(t.Context(), scim.Config{URL: tc.url, Token: tc.token, MaxRetries: 1, MinBackoff: time.Millisecond}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = tg.Check(t.Context())
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check: err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestCheckUsesTheToken: discovery endpoints may answer without a token, so
// Check must prove the token on a resource endpoint.
func TestCheckUsesTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig") {
			fmt.Fprint(w, `{"patch":{"supported":true},"filter":{"supported":true,"maxResults":100}}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"status":"401","detail":"invalid token"}`)
	}))
	defer srv.Close()
	tg, err := scim.New(t.Context(), scim.Config{URL: srv.URL, Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Check: err = %v, want a 401 message", err)
	}
}

func TestForbiddenCheck(t *testing.T) {
	forbid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"status":"403","detail":"no scope"}`)
	}))
	defer forbid.Close()
	tg, err := scim.New(t.Context(), scim.Config{URL: forbid.URL, Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("Check: err = %v, want a 403 message", err)
	}
}

// TestMemberBatches: membership changes go in PATCHes of at most BatchSize
// changes, removals and additions together, and nothing is written when
// nothing changes.
func TestMemberBatches(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 250)
	gid := createGroup(t, tg)

	if err := tg.ModifyMembers(t.Context(), gid, ids[:240], nil); err != nil {
		t.Fatalf("ModifyMembers(add 240): %v", err)
	}
	if got, want := srv.Patches(gid), 3; got != want {
		t.Errorf("PATCHes for 240 adds = %d, want %d", got, want)
	}
	if got := len(srv.Members(gid)); got != 240 {
		t.Errorf("members = %d, want 240", got)
	}

	before := tg.Stats()
	if err := tg.ModifyMembers(t.Context(), gid, nil, nil); err != nil {
		t.Fatalf("ModifyMembers(nothing): %v", err)
	}
	if got := tg.Stats(); got.Writes != before.Writes || got.Requests["GET"] != before.Requests["GET"] {
		t.Errorf("ModifyMembers(nothing) sent requests: before %+v, after %+v", before, got)
	}

	// A 1% change: 2 removals and 1 addition in one request.
	if err := tg.ModifyMembers(t.Context(), gid, ids[240:241], ids[:2]); err != nil {
		t.Fatalf("ModifyMembers(1%%): %v", err)
	}
	if got, want := srv.Patches(gid), 4; got != want {
		t.Errorf("PATCHes after a 3-member change = %d, want %d", got, want)
	}
	if got := len(srv.Members(gid)); got != 239 {
		t.Errorf("members = %d, want 239", got)
	}
}

func TestBadMemberIsIsolated(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 9)
	gid := createGroup(t, tg)
	add := append(ids[:5:5], "no-such-user")
	add = append(add, ids[5:]...)
	err := tg.ModifyMembers(t.Context(), gid, add, nil)
	if err == nil || !strings.Contains(err.Error(), "no-such-user") {
		t.Errorf("ModifyMembers with a bad member: err = %v, want it to name no-such-user", err)
	}
	if got := len(srv.Members(gid)); got != 9 {
		t.Errorf("members = %d, want the 9 good ones", got)
	}
}

func TestFilteredRemoveFallsBackToValueArray(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{RejectFilteredRemove: true})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 6)
	gid := createGroup(t, tg)
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Fatal(err)
	}
	if err := tg.ModifyMembers(t.Context(), gid, nil, ids[:2]); err != nil {
		t.Fatalf("ModifyMembers(remove): %v", err)
	}
	if got, want := srv.Patches(gid), 3; got != want {
		t.Errorf("PATCHes = %d, want %d (add, refused remove, value-array remove)", got, want)
	}
	if err := tg.ModifyMembers(t.Context(), gid, nil, ids[2:4]); err != nil {
		t.Fatalf("ModifyMembers(remove again): %v", err)
	}
	if got, want := srv.Patches(gid), 4; got != want {
		t.Errorf("PATCHes = %d, want %d (the value array is remembered)", got, want)
	}
	if got := srv.Members(gid); len(got) != 2 {
		t.Errorf("members = %v, want 2", got)
	}
}

func TestModifyMembersRejectsBadInput(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	for _, tc := range []struct {
		name        string
		gid         string
		add, remove []string
	}{
		{"empty group", "", []string{"u"}, nil},
		{"empty add", "g", []string{""}, nil},
		{"empty remove", "g", nil, []string{""}},
		{"add and remove", "g", []string{"u"}, []string{"u"}},
	} {
		if err := tg.ModifyMembers(t.Context(), tc.gid, tc.add, tc.remove); err == nil {
			t.Errorf("ModifyMembers(%s) succeeded, want an error", tc.name)
		}
	}
	if got := tg.Stats().Writes; got != 0 {
		t.Errorf("Writes = %d, want 0", got)
	}
}

func TestModifyMembersOfMissingGroup(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 1)
	if err := tg.ModifyMembers(t.Context(), "g-404", ids, nil); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("ModifyMembers of a missing group: err = %v, want ErrNotFound", err)
	}
}

// TestReAddFailingWith500IsDone: some servers answer 500 to adding a member
// again; once retries are spent the client verifies and moves on.
func TestReAddFailingWith500IsDone(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 1)
	gid := createGroup(t, tg)
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Fatal(err)
	}
	srv.Fail("PATCH", 6, http.StatusInternalServerError, "")
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Errorf("re-adding a member that the server refuses with 500: %v", err)
	}
	srv.Fail("PATCH", 6, http.StatusInternalServerError, "")
	c, err := tg.CreateUser(t.Context(), testUser(99), target.CreateOptions{Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.ModifyMembers(t.Context(), gid, []string{c.ID}, nil); err == nil {
		t.Errorf("adding a new member that the server refuses with 500 succeeded, want an error")
	}
}

func TestNoPatchUsesPut(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{NoPatch: true})
	defer srv.Close()
	tg := newTarget(t, srv, 2)
	ids := createUsers(t, tg, 5)
	gid := createGroup(t, tg)
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Fatal(err)
	}
	st := tg.Stats()
	if st.Requests["PATCH"] != 0 || st.Requests["PUT"] != 1 {
		t.Errorf("requests = %v, want one PUT and no PATCH", st.Requests)
	}
	if got := len(srv.Members(gid)); got != 5 {
		t.Errorf("members = %d, want 5", got)
	}
}

func TestConcurrentModifyMembersLosesNothing(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{NoPatch: true})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 20)
	gid := createGroup(t, tg)
	errs := make(chan error, len(ids))
	for _, id := range ids {
		go func() { errs <- tg.ModifyMembers(context.Background(), gid, []string{id}, nil) }()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(srv.Members(gid)); got != len(ids) {
		t.Errorf("members = %d, want %d: concurrent GET+PUT lost members", got, len(ids))
	}
}
