package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

const (
	testSA    = "groupsync@fake-project.iam.gserviceaccount.com"
	testAdmin = "admin@example.com"
)

// newSource connects a real Source to srv with fast retries.
func newSource(t testing.TB, srv *workspacetest.Server, tweak ...func(*workspace.Config)) *workspace.Source {
	t.Helper()
	cfg := workspace.Config{
		AdminSubject: testAdmin,
		Credentials:  srv.ServiceAccountKey(testSA),
		Endpoint:     srv.URL(),
		QPM:          600000,
		MaxAttempts:  6,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   20 * time.Millisecond,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := workspace.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// user builds a user; members are added by ID.
func user(id, email string) *workspacetest.User {
	given, family, _ := strings.Cut(strings.TrimSuffix(email, "@example.com"), ".")
	return &workspacetest.User{ID: id, PrimaryEmail: email, GivenName: given, FamilyName: family}
}

func userMember(id string) workspacetest.Member {
	return workspacetest.Member{ID: id, Type: workspacetest.TypeUser, Role: workspacetest.RoleMember}
}

func groupMember(id string) workspacetest.Member {
	return workspacetest.Member{ID: id, Type: workspacetest.TypeGroup, Role: workspacetest.RoleMember}
}

func baseOrg() *workspacetest.Org {
	return &workspacetest.Org{
		CustomerID: "C0test",
		Domain:     "example.com",
		Users:      []*workspacetest.User{user("100", testAdmin)},
	}
}

// wantMembers computes, from the org itself, the flattened active users of
// a group the way the contract defines them.
func wantMembers(org *workspacetest.Org, groupID string, includeSuspended bool) []model.Member {
	seen := map[string]bool{}
	visited := map[string]bool{}
	var out []model.Member
	var walk func(id string)
	walk = func(id string) {
		if visited[id] {
			return
		}
		visited[id] = true
		for _, m := range org.Group(id).Members {
			switch m.Type {
			case workspacetest.TypeUser:
				email := m.Email
				if u := org.User(m.ID); u != nil {
					if (u.Suspended || u.Archived) && !includeSuspended {
						continue
					}
					email = u.PrimaryEmail
				}
				if !seen[m.ID] {
					seen[m.ID] = true
					out = append(out, model.Member{ID: m.ID, Email: email})
				}
			case workspacetest.TypeGroup:
				walk(m.ID)
			}
		}
	}
	walk(groupID)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func groupInfo(g *workspacetest.Group) model.GroupInfo {
	return model.GroupInfo{ID: g.ID, Email: g.Email, Name: g.Name, Description: g.Description}
}

// readAll reads every group with a few concurrent workers, as the engine
// does.
func readAll(t testing.TB, s *workspace.Source, groups []model.GroupInfo, opts model.MemberOptions) map[string]model.Membership {
	t.Helper()
	return readAllWith(t, context.Background(), 4, s, groups, opts)
}

// readAllWith reads every group with the given number of workers.
func readAllWith(t testing.TB, ctx context.Context, workers int, s *workspace.Source, groups []model.GroupInfo, opts model.MemberOptions) map[string]model.Membership {
	t.Helper()
	out := make(map[string]model.Membership, len(groups))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan model.GroupInfo)
	errs := make(chan error, len(groups))
	for range workers {
		wg.Go(func() {
			for g := range work {
				m, err := s.ReadMembers(ctx, g, opts)
				if err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				out[g.ID] = m
				mu.Unlock()
			}
		})
	}
	for _, g := range groups {
		work <- g
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ReadMembers: %v", err)
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// TestFullReadCallBudget reads a generated organisation whose listings
// span many pages and checks every group against the org, and that the
// calls stay within ceil(G/200) + M + ceil(U/500).
func TestFullReadCallBudget(t *testing.T) {
	org := workspacetest.Generate(7, 1100, 410)
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	s := newSource(t, srv)
	ctx := context.Background()

	groups, err := s.ListGroups(ctx)
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if len(groups) != len(org.Groups) {
		t.Fatalf("ListGroups returned %d groups, want %d", len(groups), len(org.Groups))
	}
	got := readAll(t, s, groups, model.MemberOptions{})
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != len(org.Users) {
		t.Errorf("ListUsers returned %d users, want %d (suspended included)", len(users), len(org.Users))
	}

	memberPages, multiPage := 0, 0
	for _, g := range org.Groups {
		memberPages += max(1, ceilDiv(len(g.Members), 200))
		if len(g.Members) > 200 {
			multiPage++
		}
		m := got[g.ID]
		if m.Incomplete {
			t.Errorf("group %s: Incomplete, problems %q", g.Email, m.Problems)
		}
		if diff := cmp.Diff(wantMembers(org, g.ID, false), m.Members); diff != "" {
			t.Errorf("group %s members (-want +got):\n%s", g.Email, diff)
		}
	}
	if multiPage == 0 {
		t.Fatal("generated org has no multi-page group; the test proves nothing about paging")
	}
	budget := ceilDiv(len(org.Groups), 200) + memberPages + ceilDiv(len(org.Users), 500)
	if n := srv.TotalRequests(); n > int64(budget) {
		t.Errorf("full read made %d API requests, want at most %d", n, budget)
	}
	if s.Calls() != srv.TotalRequests() {
		t.Errorf("Calls() = %d, server counted %d", s.Calls(), srv.TotalRequests())
	}
	if n := srv.Requests(workspacetest.EndpointUsers); n != int64(ceilDiv(len(org.Users), 500)) {
		t.Errorf("users.list requests = %d, want one sweep of %d pages", n, ceilDiv(len(org.Users), 500))
	}
}

func nestedOrg() *workspacetest.Org {
	org := baseOrg()
	for i := 1; i <= 5; i++ {
		org.Users = append(org.Users, user(fmt.Sprint(100+i), fmt.Sprintf("u%d@example.com", i)))
	}
	// a ⊃ {u1, b}; b ⊃ {u2, c}; c ⊃ {u3, a} (cycle a→b→c→a);
	// d ⊃ {b, c, u4} (reaches b and c twice).
	org.Groups = []*workspacetest.Group{
		{ID: "ga", Email: "a@example.com", Members: []workspacetest.Member{userMember("101"), groupMember("gb")}},
		{ID: "gb", Email: "b@example.com", Members: []workspacetest.Member{userMember("102"), groupMember("gc")}},
		{ID: "gc", Email: "c@example.com", Members: []workspacetest.Member{userMember("103"), groupMember("ga")}},
		{ID: "gd", Email: "d@example.com", Members: []workspacetest.Member{groupMember("gb"), groupMember("gc"), userMember("104")}},
	}
	return org
}

func TestNestedGroupsAndCycles(t *testing.T) {
	org := nestedOrg()
	tests := []struct {
		group      string
		opts       model.MemberOptions
		wantIDs    []string
		wantCycles [][]string
	}{
		{"ga", model.MemberOptions{}, []string{"101", "102", "103"},
			[][]string{{"a@example.com", "b@example.com", "c@example.com", "a@example.com"}}},
		{"gd", model.MemberOptions{}, []string{"101", "102", "103", "104"},
			[][]string{{"b@example.com", "c@example.com", "a@example.com", "b@example.com"}}},
		{"gd", model.MemberOptions{Nested: "direct"}, []string{"104"}, nil},
		{"gd", model.MemberOptions{Types: []string{"GROUP"}}, []string{"101", "102", "103"},
			[][]string{{"b@example.com", "c@example.com", "a@example.com", "b@example.com"}}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%+v", tc.group, tc.opts), func(t *testing.T) {
			srv := workspacetest.NewServer(org)
			defer srv.Close()
			s := newSource(t, srv)
			m, err := s.ReadMembers(context.Background(), groupInfo(org.Group(tc.group)), tc.opts)
			if err != nil {
				t.Fatalf("ReadMembers: %v", err)
			}
			if m.Incomplete {
				t.Errorf("Incomplete with problems %q; a cycle alone must not make a group incomplete", m.Problems)
			}
			if diff := cmp.Diff(tc.wantIDs, m.MemberIDs()); diff != "" {
				t.Errorf("member IDs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCycles, m.Cycles); diff != "" {
				t.Errorf("cycles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNestedGroupReadOncePerRun(t *testing.T) {
	org := nestedOrg()
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	s := newSource(t, srv)
	var groups []model.GroupInfo
	for _, g := range org.Groups {
		groups = append(groups, groupInfo(g))
	}
	readAll(t, s, groups, model.MemberOptions{})
	if got, want := srv.Requests(workspacetest.EndpointMembers), int64(len(org.Groups)); got != want {
		t.Errorf("members.list requests = %d, want %d (one per group, however often nested)", got, want)
	}
}

// bigGroupOrg has one group of n members (pages of 200) and a parent
// that nests it.
func bigGroupOrg(n int) *workspacetest.Org {
	org := baseOrg()
	big := &workspacetest.Group{ID: "gbig", Email: "big@example.com"}
	for i := range n {
		u := user(fmt.Sprint(1000+i), fmt.Sprintf("user%d@example.com", i))
		org.Users = append(org.Users, u)
		big.Members = append(big.Members, userMember(u.ID))
	}
	parent := &workspacetest.Group{ID: "gparent", Email: "parent@example.com",
		Members: []workspacetest.Member{userMember("100"), groupMember("gbig")}}
	org.Groups = []*workspacetest.Group{big, parent}
	return org
}

func TestPageFailure(t *testing.T) {
	org := bigGroupOrg(450) // pages of 200, 200, 50
	tests := []struct {
		name           string
		read           string
		failures       int
		wantIncomplete bool
		wantMembers    int
	}{
		{"retries clear it", "gbig", 3, false, 450},
		{"page 2 fails after retries", "gbig", 100, true, 200},
		{"nested group fails after retries", "gparent", 100, true, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := workspacetest.NewServer(org)
			defer srv.Close()
			srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMembers, Group: "big@example.com",
				Page: 2, Status: http.StatusServiceUnavailable, Times: tc.failures})
			s := newSource(t, srv)
			m, err := s.ReadMembers(context.Background(), groupInfo(org.Group(tc.read)), model.MemberOptions{})
			if err != nil {
				t.Fatalf("ReadMembers: %v", err)
			}
			if m.Incomplete != tc.wantIncomplete {
				t.Errorf("Incomplete = %v, want %v (problems %q)", m.Incomplete, tc.wantIncomplete, m.Problems)
			}
			if tc.wantIncomplete && len(m.Problems) == 0 {
				t.Error("Incomplete without a Problem saying why")
			}
			if len(m.Members) != tc.wantMembers {
				t.Errorf("got %d members, want %d", len(m.Members), tc.wantMembers)
			}
		})
	}
}

func TestUnreadableGroupIsAnError(t *testing.T) {
	srv := workspacetest.NewServer(nestedOrg())
	defer srv.Close()
	s := newSource(t, srv)
	m, err := s.ReadMembers(context.Background(), model.GroupInfo{ID: "gone", Email: "gone@example.com"}, model.MemberOptions{})
	if !errors.Is(err, workspace.ErrGroupNotFound) {
		t.Fatalf("ReadMembers of a missing group = %+v, %v; want ErrGroupNotFound", m, err)
	}
}

// TestRateLimitStorm runs a full read through storms of 403
// userRateLimitExceeded and 429 while the fake enforces a quota above the
// configured QPM: every group must come out complete and equal to the org,
// and the pacer must keep the client under quota.
func TestRateLimitStorm(t *testing.T) {
	org := workspacetest.Generate(3, 600, 60)
	// 60 requests per 500ms is 7,200 a minute; the client paces at 6,000.
	srv := workspacetest.NewServer(org, workspacetest.WithQuota(60, 500*time.Millisecond))
	defer srv.Close()
	srv.Inject(workspacetest.Fault{Status: http.StatusForbidden, Reason: "rateLimitExceeded", Times: 5})
	s := newSource(t, srv, func(c *workspace.Config) { c.QPM = 6000; c.MaxAttempts = 12 })

	groups, err := s.ListGroups(context.Background())
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	// The storm hits the concurrent reads; four workers share it.
	srv.Inject(workspacetest.Fault{Status: http.StatusForbidden, Reason: "userRateLimitExceeded", Times: 16})
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMembers, Status: http.StatusTooManyRequests, Times: 5})
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointUsers, Status: http.StatusForbidden, Reason: "quotaExceeded", Times: 2})
	got := readAll(t, s, groups, model.MemberOptions{})
	for _, g := range org.Groups {
		m := got[g.ID]
		if m.Incomplete {
			t.Errorf("group %s: Incomplete after storm, problems %q", g.Email, m.Problems)
		}
		if diff := cmp.Diff(wantMembers(org, g.ID, false), m.Members); diff != "" {
			t.Errorf("group %s members (-want +got):\n%s", g.Email, diff)
		}
	}
	if n := srv.QuotaRejections(); n != 0 {
		t.Errorf("quota rejected %d requests; pacing should keep the client under quota", n)
	}
	memberPages := 0
	for _, g := range org.Groups {
		memberPages += max(1, ceilDiv(len(g.Members), 200))
	}
	// Each injected failure costs exactly one retry.
	const injected = 5 + 16 + 5 + 2
	want := int64(ceilDiv(len(org.Groups), 200) + memberPages + ceilDiv(len(org.Users), 500) + injected)
	if n := srv.TotalRequests(); n != want {
		t.Errorf("storm read made %d requests, want %d (full read plus one retry per injected failure)", n, want)
	}
	if s.Calls() != srv.TotalRequests() {
		t.Errorf("Calls() = %d, server counted %d", s.Calls(), srv.TotalRequests())
	}
}

// TestOverQuotaConverges configures the client above the server's quota:
// the server answers 403 userRateLimitExceeded with Retry-After, and the
// read must still complete.
func TestOverQuotaConverges(t *testing.T) {
	org := workspacetest.Generate(5, 300, 25)
	srv := workspacetest.NewServer(org, workspacetest.WithQuota(20, time.Second))
	defer srv.Close()
	s := newSource(t, srv, func(c *workspace.Config) { c.QPM = 60000; c.MaxAttempts = 10 })
	groups, err := s.ListGroups(context.Background())
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	got := readAll(t, s, groups, model.MemberOptions{})
	for _, g := range org.Groups {
		if m := got[g.ID]; m.Incomplete {
			t.Errorf("group %s: Incomplete, problems %q", g.Email, m.Problems)
		}
	}
	if srv.QuotaRejections() == 0 {
		t.Error("the server never refused a request; the test does not exercise Retry-After")
	}
}

func TestCheck(t *testing.T) {
	org := nestedOrg()
	tests := []struct {
		name    string
		opts    []workspacetest.Option
		setup   func(*workspacetest.Server)
		subject string
		want    []string // substrings of the error; nil means success
	}{
		{name: "ok"},
		{
			name:  "delegation not granted",
			setup: func(s *workspacetest.Server) { s.RejectTokens() },
			want: []string{workspacetest.ClientID, "Domain-wide delegation", "Security → API controls",
				workspacetest.ScopeGroupReadonly, workspacetest.ScopeUserReadonly},
		},
		{
			name: "user scope not granted",
			opts: []workspacetest.Option{workspacetest.WithGrantedScopes(workspacetest.ScopeGroupReadonly)},
			want: []string{workspacetest.ClientID, workspacetest.ScopeUserReadonly},
		},
		{name: "unknown admin subject", subject: "nobody@example.com", want: []string{"invalid_grant", "nobody@example.com"}},
		{
			name: "groups endpoint down",
			setup: func(s *workspacetest.Server) {
				s.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointGroups, Status: 500})
			},
			want: []string{"list groups", "HTTP 500"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := workspacetest.NewServer(org, tc.opts...)
			defer srv.Close()
			if tc.setup != nil {
				tc.setup(srv)
			}
			s := newSource(t, srv, func(c *workspace.Config) {
				c.MaxAttempts = 2
				if tc.subject != "" {
					c.AdminSubject = tc.subject
				}
			})
			err := s.Check(context.Background())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if got := srv.Requests(workspacetest.EndpointGroups) + srv.Requests(workspacetest.EndpointUsers); got != 2 {
					t.Errorf("Check made %d API calls, want 2 (one per scope)", got)
				}
				return
			}
			if err == nil {
				t.Fatal("Check succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("Check error spans lines:\n%s", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Check error %q does not mention %q", msg, w)
				}
			}
			var ce *workspace.CheckError
			if !errors.As(err, &ce) || ce.Err == nil {
				t.Errorf("Check error %T does not carry its cause", err)
			}
		})
	}
}

func TestRenamedUserKeepsID(t *testing.T) {
	org := nestedOrg()
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	g := groupInfo(org.Group("ga"))
	before, err := newSource(t, srv).ReadMembers(context.Background(), g, model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RenameUser("101", "renamed@example.com"); err != nil {
		t.Fatal(err)
	}
	// A new Source is a new run: it must not reuse the first run's cache.
	after, err := newSource(t, srv).ReadMembers(context.Background(), g, model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.MemberIDs(), after.MemberIDs()); diff != "" {
		t.Errorf("member IDs changed with a rename (-before +after):\n%s", diff)
	}
	for _, m := range after.Members {
		if m.ID == "101" && m.Email != "renamed@example.com" {
			t.Errorf("member 101 has email %q after rename, want renamed@example.com", m.Email)
		}
	}
}

func TestMemberKinds(t *testing.T) {
	org := baseOrg()
	org.Users = append(org.Users,
		user("201", "active@example.com"),
		&workspacetest.User{ID: "202", PrimaryEmail: "sleepy@example.com", Suspended: true},
		user("203", "early@example.com"),
	)
	org.Groups = []*workspacetest.Group{{ID: "gm", Email: "mixed@example.com", Members: []workspacetest.Member{
		userMember("201"),
		userMember("202"),
		{ID: "203", Type: workspacetest.TypeUser, NoStatus: true},
		{ID: "299", Email: "guest@partner.example.net", Type: workspacetest.TypeUser},
		{Type: workspacetest.TypeCustomer},
	}}}
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	g := groupInfo(org.Groups[0])

	tests := []struct {
		opts           model.MemberOptions
		want           []model.Member
		wantIncomplete bool
		wantProblems   []string
	}{
		{
			opts: model.MemberOptions{},
			want: []model.Member{{ID: "201", Email: "active@example.com"}, {ID: "299", Email: "guest@partner.example.net"}},
			// 203 has no status: unresolved, so nothing may be removed.
			wantIncomplete: true,
			wantProblems:   []string{"no status", "CUSTOMER member C0test"},
		},
		{
			opts: model.MemberOptions{IncludeSuspended: true},
			want: []model.Member{{ID: "201", Email: "active@example.com"}, {ID: "202", Email: "sleepy@example.com"},
				{ID: "299", Email: "guest@partner.example.net"}},
			wantIncomplete: true,
			wantProblems:   []string{"no status", "CUSTOMER member C0test"},
		},
	}
	for _, tc := range tests {
		s := newSource(t, srv)
		m, err := s.ReadMembers(context.Background(), g, tc.opts)
		if err != nil {
			t.Fatalf("ReadMembers(%+v): %v", tc.opts, err)
		}
		if diff := cmp.Diff(tc.want, m.Members); diff != "" {
			t.Errorf("ReadMembers(%+v) members (-want +got):\n%s", tc.opts, diff)
		}
		if m.Incomplete != tc.wantIncomplete {
			t.Errorf("ReadMembers(%+v) Incomplete = %v, want %v", tc.opts, m.Incomplete, tc.wantIncomplete)
		}
		all := strings.Join(m.Problems, "\n")
		for _, p := range tc.wantProblems {
			if !strings.Contains(all, p) {
				t.Errorf("ReadMembers(%+v) problems %q lack %q", tc.opts, m.Problems, p)
			}
		}
	}
}

func TestEmptyGroupIsComplete(t *testing.T) {
	org := baseOrg()
	org.Groups = []*workspacetest.Group{{ID: "ge", Email: "empty@example.com"}}
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	m, err := newSource(t, srv).ReadMembers(context.Background(), groupInfo(org.Groups[0]), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Incomplete || len(m.Members) != 0 {
		t.Errorf("empty group read as %+v, want complete and empty", m)
	}
}

// blankMembers answers every members.list with a 200 and "{}", as a
// misbehaving proxy might.
type blankMembers struct{}

func (blankMembers) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/members") {
		return http.DefaultTransport.RoundTrip(r)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func TestBodyWithoutListingIsNotEmpty(t *testing.T) {
	org := nestedOrg()
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	s := newSource(t, srv, func(c *workspace.Config) { c.HTTPClient = &http.Client{Transport: blankMembers{}} })
	m, err := s.ReadMembers(context.Background(), groupInfo(org.Group("gd")), model.MemberOptions{})
	if err == nil && !m.Incomplete {
		t.Errorf("a blank 200 was read as a complete group: %+v", m)
	}
}

func TestKeyless(t *testing.T) {
	org := nestedOrg()
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	s := newSource(t, srv, func(c *workspace.Config) {
		c.Credentials = nil
		c.Keyless = true
		c.ServiceAccount = testSA
		c.IAMEndpoint = srv.URL()
		c.TokenURL = srv.TokenURL()
	})
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	m, err := s.ReadMembers(context.Background(), groupInfo(org.Group("ga")), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"101", "102", "103"}, m.MemberIDs()); diff != "" {
		t.Errorf("member IDs (-want +got):\n%s", diff)
	}
	if n := srv.Requests(workspacetest.EndpointSignJWT); n != 1 {
		t.Errorf("signJwt requests = %d, want 1 (the token is reused)", n)
	}
}

func TestKeylessSignJWTRefused(t *testing.T) {
	srv := workspacetest.NewServer(nestedOrg())
	defer srv.Close()
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointSignJWT, Status: http.StatusForbidden, Reason: "forbidden"})
	s := newSource(t, srv, func(c *workspace.Config) {
		c.Credentials = nil
		c.Keyless = true
		c.ServiceAccount = testSA
		c.IAMEndpoint = srv.URL()
		c.TokenURL = srv.TokenURL()
	})
	err := s.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "roles/iam.serviceAccountTokenCreator") {
		t.Errorf("Check = %v, want the signJwt permission hint", err)
	}
}
