package scim_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// outcome is what a create's result says, with the ID replaced by the
// userName the server stores under it, so that results from servers that
// number their users differently compare.
type outcome struct {
	UserName  string
	Adopted   bool
	TakenOver bool
	Conflict  bool
	Failed    bool
}

func outcomeOf(srv *scimtest.Server, c target.Created, err error) outcome {
	o := outcome{Adopted: c.Adopted, TakenOver: c.TakenOver, Conflict: errors.Is(err, target.ErrConflict), Failed: err != nil}
	if u, ok := srv.User(c.ID); ok {
		o.UserName = u.UserName
	} else if c.ID != "" {
		o.UserName = "unknown id " + c.ID
	}
	return o
}

func userCreates(n int) []target.UserCreate {
	out := make([]target.UserCreate, n)
	for i := range out {
		out[i] = target.UserCreate{User: testUser(i), Opts: target.CreateOptions{Active: true}}
	}
	return out
}

func checkCreated(t *testing.T, srv *scimtest.Server, users []target.UserCreate, got []target.CreateResult) {
	t.Helper()
	if len(got) != len(users) {
		t.Fatalf("CreateUsers returned %d results for %d users", len(got), len(users))
	}
	for i, r := range got {
		if r.Err != nil {
			t.Errorf("user %d: %v", i, r.Err)
			continue
		}
		u, ok := srv.User(r.ID)
		if !ok || u.ExternalID != users[i].User.ID {
			t.Errorf("user %d: ID %s is %+v on the server, want externalId %s", i, r.ID, u, users[i].User.ID)
		}
	}
}

// TestCreateUsersMatchesCreateUser runs the same creates one by one and as
// one CreateUsers call, with and without Bulk, and wants the same result
// for each user.
func TestCreateUsersMatchesCreateUser(t *testing.T) {
	active := target.CreateOptions{Active: true}
	in := []target.UserCreate{
		{User: model.User{ID: "src-0", Email: "user0@example.com"}, Opts: active},
		// Created by groupsync before a crash lost the record.
		{User: model.User{ID: "src-taken", Email: "taken@example.com"}, Opts: active},
		{User: model.User{ID: "src-adopt", Email: "adopt@example.com"}, Opts: target.CreateOptions{Active: true, Adopt: true}},
		{User: model.User{ID: "src-clash", Email: "clash@example.com"}, Opts: active},
		{User: model.User{ID: "src-noemail"}, Opts: active},
		{User: model.User{ID: "src-5", Email: "user5@example.com"}, Opts: active},
		// Another source user with user 5's address: the server's 409
		// (or the index) shows user 5, which is not this one's.
		{User: model.User{ID: "src-6", Email: "USER5@example.com"}, Opts: active},
		// User 0 again: its own create is found and taken over.
		{User: model.User{ID: "src-0", Email: "user0@example.com"}, Opts: active},
		{User: model.User{ID: "src-8", Email: "Mixed@Example.com"}, Opts: active},
		{User: model.User{ID: "src-9", Email: "off@example.com"}, Opts: target.CreateOptions{Active: false}},
	}
	want := []outcome{
		{UserName: "user0@example.com"},
		{UserName: "taken@example.com", TakenOver: true},
		{UserName: "adopt@example.com", Adopted: true},
		{Conflict: true, Failed: true},
		{Failed: true},
		{UserName: "user5@example.com"},
		{Conflict: true, Failed: true},
		{UserName: "user0@example.com", TakenOver: true},
		{UserName: "Mixed@Example.com"},
		{UserName: "off@example.com"},
	}
	oneByOne := func(tg *scim.Target, users []target.UserCreate) []target.CreateResult {
		out := make([]target.CreateResult, len(users))
		for i, uc := range users {
			c, err := tg.CreateUser(t.Context(), uc.User, uc.Opts)
			out[i] = target.CreateResult{Created: c, Err: err}
		}
		return out
	}
	batched := func(tg *scim.Target, users []target.UserCreate) []target.CreateResult {
		return tg.CreateUsers(t.Context(), users)
	}
	for _, tc := range []struct {
		name     string
		opts     scimtest.Options
		announce bool
		create   func(*scim.Target, []target.UserCreate) []target.CreateResult
		// wantPOSTs counts POST /Users and POST /Bulk alike.
		wantPOSTs int
		wantBulks []int
	}{
		{name: "CreateUser one by one", create: oneByOne, wantPOSTs: 4},
		{name: "CreateUser one by one with an index", announce: true, create: oneByOne, wantPOSTs: 4},
		{name: "CreateUsers without Bulk", create: batched, wantPOSTs: 4},
		{name: "CreateUsers with Bulk", opts: scimtest.Options{BulkMaxOperations: 100}, create: batched, wantPOSTs: 1, wantBulks: []int{6}},
		{name: "CreateUsers with Bulk and an index", opts: scimtest.Options{BulkMaxOperations: 100}, announce: true, create: batched, wantPOSTs: 1, wantBulks: []int{6}},
		{name: "CreateUsers with Bulk of 2 operations", opts: scimtest.Options{BulkMaxOperations: 2}, create: batched, wantPOSTs: 3, wantBulks: []int{2, 2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := scimtest.NewServer(tc.opts)
			defer srv.Close()
			srv.AddUser(scimtest.User{UserName: "taken@example.com", ExternalID: "src-taken", DisplayName: "T", GivenName: "T", FamilyName: "T", Active: true})
			srv.AddUser(scimtest.User{UserName: "adopt@example.com", DisplayName: "A", GivenName: "A", FamilyName: "A", Active: true})
			srv.AddUser(scimtest.User{UserName: "clash@example.com", ExternalID: "someone-else", DisplayName: "C", GivenName: "C", FamilyName: "C", Active: true})
			tg := newTarget(t, srv, 100)
			if tc.announce {
				tg.ExpectCreates("user", len(in))
			}
			res := tc.create(tg, in)
			got := make([]outcome, len(res))
			for i, r := range res {
				got[i] = outcomeOf(srv, r.Created, r.Err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if u, _ := srv.User(res[9].ID); u.Active {
				t.Errorf("user created with Active false is active on the server")
			}
			if got := srv.Requests()[http.MethodPost]; got != tc.wantPOSTs {
				t.Errorf("POST requests = %d, want %d", got, tc.wantPOSTs)
			}
			var bulks []int
			for _, b := range srv.BulkRequests() {
				bulks = append(bulks, b.Operations)
			}
			if diff := cmp.Diff(tc.wantBulks, bulks); diff != "" {
				t.Errorf("operations per Bulk request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBulkConflictAfterIndexIsResolvedByLookup: a user created by someone
// else after the index was read is not in it, so it goes into the Bulk
// request; the operation's 409 is resolved by a lookup.
func TestBulkConflictAfterIndexIsResolvedByLookup(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	tg.ExpectCreates("user", 10)
	if r := tg.CreateUsers(t.Context(), userCreates(1)); r[0].Err != nil {
		t.Fatalf("first CreateUsers: %v", r[0].Err)
	}
	late := srv.AddUser(scimtest.User{UserName: "late@example.com", DisplayName: "L", GivenName: "L", FamilyName: "L", Active: true})
	ours := srv.AddUser(scimtest.User{UserName: "lost@example.com", ExternalID: "src-lost", DisplayName: "L", GivenName: "L", FamilyName: "L", Active: true})
	bulksBefore := len(srv.BulkRequests())
	getsBefore := srv.Requests()[http.MethodGet]
	res := tg.CreateUsers(t.Context(), []target.UserCreate{
		{User: model.User{ID: "src-late", Email: "late@example.com"}, Opts: target.CreateOptions{Active: true, Adopt: true}},
		{User: model.User{ID: "src-lost", Email: "lost@example.com"}, Opts: target.CreateOptions{Active: true}},
		{User: model.User{ID: "src-late2", Email: "late@example.com"}, Opts: target.CreateOptions{Active: true}},
		{User: testUser(7), Opts: target.CreateOptions{Active: true}},
	})
	got := make([]outcome, len(res))
	for i, r := range res {
		got[i] = outcomeOf(srv, r.Created, r.Err)
	}
	want := []outcome{
		{UserName: "late@example.com", Adopted: true},
		{UserName: "lost@example.com", TakenOver: true},
		{Conflict: true, Failed: true},
		{UserName: "user7@example.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if res[0].ID != late || res[1].ID != ours {
		t.Errorf("IDs = %s, %s, want %s, %s", res[0].ID, res[1].ID, late, ours)
	}
	bulks := srv.BulkRequests()[bulksBefore:]
	if len(bulks) != 1 || bulks[0].Operations != 4 {
		t.Errorf("Bulk requests = %+v, want one of 4 operations", bulks)
	}
	if srv.Requests()[http.MethodGet] == getsBefore {
		t.Errorf("no GET after the Bulk request: the 409s were not looked up")
	}
	// The index remembers what the Bulk request created and resolved.
	again := tg.CreateUsers(t.Context(), []target.UserCreate{
		{User: model.User{ID: "src-lost", Email: "lost@example.com"}, Opts: target.CreateOptions{Active: true}},
		{User: testUser(7), Opts: target.CreateOptions{Active: true}},
	})
	for i, r := range again {
		if r.Err != nil || !r.TakenOver {
			t.Errorf("second create of user %d = %+v, want taken over from the index", i, r)
		}
	}
	if n := len(srv.BulkRequests()) - bulksBefore; n != 1 {
		t.Errorf("second CreateUsers sent %d more Bulk requests, want none", n-1)
	}
}

func TestBulkBatchesByMaxOperations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxOps int
		users  int
		want   []int
	}{
		{"250 users in 100s", 100, 250, []int{100, 100, 50}},
		{"exactly full", 50, 100, []int{50, 50}},
		{"at most 1000 whatever is advertised", 5000, 1001, []int{1000, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: tc.maxOps})
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			tg.ExpectCreates("user", tc.users)
			users := userCreates(tc.users)
			checkCreated(t, srv, users, tg.CreateUsers(t.Context(), users))
			var got []int
			for _, b := range srv.BulkRequests() {
				got = append(got, b.Operations)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("operations per Bulk request (-want +got):\n%s", diff)
			}
			st := tg.Stats()
			if st.Requests[http.MethodPost] != len(tc.want) || st.Writes != tc.users {
				t.Errorf("Stats: %d POSTs and %d writes, want %d and %d", st.Requests[http.MethodPost], st.Writes, len(tc.want), tc.users)
			}
			total := 0
			for _, n := range st.Requests {
				total += n
			}
			if perWrite := float64(total) / float64(st.Writes); perWrite >= 1 {
				t.Errorf("requests per write = %.3f (%d requests), want below 1", perWrite, total)
			}
		})
	}
}

func TestBulkBatchesByPayloadSize(t *testing.T) {
	const maxPayload = 3000
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100, BulkMaxPayloadSize: maxPayload})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	users := userCreates(30)
	// One user whose operation alone is over the limit gets a POST of its
	// own.
	users[12].User.Title = strings.Repeat("t", maxPayload)
	res := tg.CreateUsers(t.Context(), users)
	checkCreated(t, srv, users, res)
	bulks := srv.BulkRequests()
	ops := 0
	for _, b := range bulks {
		ops += b.Operations
		if b.Bytes > maxPayload || b.Status != http.StatusOK {
			t.Errorf("Bulk request of %d bytes got %d, want at most %d bytes and 200", b.Bytes, b.Status, maxPayload)
		}
	}
	if ops != 29 || len(bulks) < 2 {
		t.Errorf("%d Bulk requests with %d operations, want several with 29", len(bulks), ops)
	}
	if got, want := srv.Requests()[http.MethodPost], len(bulks)+1; got != want {
		t.Errorf("POST requests = %d, want %d (the Bulk requests and one POST /Users)", got, want)
	}
	if u, _ := srv.User(res[12].ID); u.Title != users[12].User.Title {
		t.Errorf("the large user's title was not stored")
	}
}

// TestBulkTooLargeIsSplit: a server whose limits are below what it
// advertised answers 413; the request is sent again in halves.
func TestBulkTooLargeIsSplit(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	tg.ExpectCreates("user", 10)
	users := userCreates(10)
	if _, err := tg.CreateUser(t.Context(), testUser(99), target.CreateOptions{Active: true}); err != nil {
		t.Fatal(err) // reads the configuration and the index first
	}
	srv.Fail(http.MethodPost, 1, http.StatusRequestEntityTooLarge, "")
	checkCreated(t, srv, users, tg.CreateUsers(t.Context(), users))
	var got []int
	for _, b := range srv.BulkRequests() {
		got = append(got, b.Operations)
	}
	if diff := cmp.Diff([]int{5, 5}, got); diff != "" {
		t.Errorf("operations per Bulk request after the 413 (-want +got):\n%s", diff)
	}
}

// TestBulkRefusedFallsBack: a server that advertises Bulk and refuses it
// gets one POST per user, and no Bulk request again.
func TestBulkRefusedFallsBack(t *testing.T) {
	for _, tc := range []struct {
		status int
		// tries is how many times the client sends the refused request:
		// a refusal is not retried, 501 included.
		tries int
	}{
		{http.StatusNotImplemented, 1},
		{http.StatusNotFound, 1},
		{http.StatusMethodNotAllowed, 1},
		{http.StatusBadRequest, 1}, // with a detail saying Bulk is unsupported
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100, BulkStatus: tc.status})
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			tg.ExpectCreates("user", 8)
			users := userCreates(8)
			checkCreated(t, srv, users[:5], tg.CreateUsers(t.Context(), users[:5]))
			checkCreated(t, srv, users[5:], tg.CreateUsers(t.Context(), users[5:]))
			if got := len(srv.BulkRequests()); got != tc.tries {
				t.Errorf("Bulk requests = %d, want %d and none after the refusal", got, tc.tries)
			}
			if got, want := srv.Requests()[http.MethodPost], tc.tries+len(users); got != want {
				t.Errorf("POST requests = %d, want %d", got, want)
			}
			if got := len(srv.Users()); got != len(users) {
				t.Errorf("%d users on the server, want %d", got, len(users))
			}
		})
	}
}

// TestBulkFailureFailsItsUsers: a Bulk request that fails for a reason
// other than a refusal fails each of its users with the SCIM error, so
// that a caller tells retryable failures from others as with CreateUser.
func TestBulkFailureFailsItsUsers(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100, BulkStatus: status})
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			res := tg.CreateUsers(t.Context(), userCreates(3))
			for i, r := range res {
				var se *scim.Error
				if !errors.As(r.Err, &se) || se.Status != status || errors.Is(r.Err, target.ErrConflict) {
					t.Errorf("user %d: err = %v, want a *scim.Error with status %d", i, r.Err, status)
				}
			}
			if n := len(srv.Users()); n != 0 {
				t.Errorf("%d users created, want none", n)
			}
			// Not a refusal: the next call uses Bulk again.
			before := len(srv.BulkRequests())
			tg.CreateUsers(t.Context(), userCreates(1))
			if len(srv.BulkRequests()) == before {
				t.Errorf("no Bulk request after a %d: Bulk was given up", status)
			}
		})
	}
}

func TestCreateUsersEmpty(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 100})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	if got := tg.CreateUsers(t.Context(), nil); len(got) != 0 {
		t.Errorf("CreateUsers(nil) = %v, want no results", got)
	}
	if got := srv.Requests()[http.MethodPost]; got != 0 {
		t.Errorf("POST requests = %d, want 0", got)
	}
}

// TestScimtestBulkLimits checks the fake's own 413s, which the client
// tests above rely on it to send.
func TestScimtestBulkLimits(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: 2, BulkMaxPayloadSize: 700})
	defer srv.Close()
	op := `{"method":"POST","bulkId":"%d","path":"/Users","data":{"userName":"u%d@example.com","displayName":"U","name":{"givenName":"U","familyName":"U"},"active":true}}`
	post := func(ops ...string) int {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` + strings.Join(ops, ",") + `]}`
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/Bulk", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name string
		ops  []string
		want int
	}{
		{"within the limits", []string{fmt.Sprintf(op, 1, 1)}, http.StatusOK},
		{"over maxOperations", []string{fmt.Sprintf(op, 2, 2), fmt.Sprintf(op, 3, 3), fmt.Sprintf(op, 4, 4)}, http.StatusRequestEntityTooLarge},
		{"over maxPayloadSize", []string{fmt.Sprintf(op, 5, 5), strings.Replace(fmt.Sprintf(op, 6, 6), `"U"`, `"`+strings.Repeat("u", 1000)+`"`, 1)}, http.StatusRequestEntityTooLarge},
	} {
		if got := post(tc.ops...); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := len(srv.Users()); got != 1 {
		t.Errorf("%d users stored, want 1: a refused request applies nothing", got)
	}
	if !slices.ContainsFunc(srv.BulkRequests(), func(b scimtest.BulkRequest) bool { return b.Status == http.StatusRequestEntityTooLarge }) {
		t.Errorf("BulkRequests() records no 413")
	}
}
