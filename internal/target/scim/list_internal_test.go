package scim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestListReadsToTheEnd: count is clamped to maxResults and paging goes on
// by startIndex when the server returns fewer than asked.
func TestListReadsToTheEnd(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{MaxResults: 3, PageSize: 2})
	defer srv.Close()
	var want []string
	for i := range 7 {
		id := srv.AddUser(scimtest.User{UserName: fmt.Sprintf("u%d@example.com", i)})
		want = append(want, id)
	}
	tg, err := New(t.Context(), Config{URL: srv.URL(), Token: srv.Token()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := tg.findUsers(t.Context(), "")
	if err != nil {
		t.Fatalf("findUsers: %v", err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed users (-want +got):\n%s", diff)
	}
	// One ServiceProviderConfig read and four pages of two.
	if got := tg.Stats().Requests[http.MethodGet]; got != 5 {
		t.Errorf("GET requests = %d, want 5", got)
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"string status", 400, `{"status":"400","scimType":"invalidFilter","detail":"bad filter"}`,
			Error{Status: 400, ScimType: "invalidFilter", Detail: "bad filter"}},
		{"number status", 409, `{"status":409,"scimType":"uniqueness","detail":"exists"}`,
			Error{Status: 409, ScimType: "uniqueness", Detail: "exists"}},
		{"message instead of detail", 400, `{"message":"nope"}`, Error{Status: 400, Detail: "nope"}},
		{"not JSON", 502, "<html>Bad Gateway</html>", Error{Status: 502, Detail: "<html>Bad Gateway</html>"}},
		{"token echoed", 400, `{"detail":"bad header Bearer tok123"}`, Error{Status: 400, Detail: "bad header Bearer [REDACTED]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseError("GET", "/Users", tc.status, []byte(tc.body), "tok123")
			tc.want.Method, tc.want.Path = "GET", "/Users"
			if *got != tc.want {
				t.Errorf("parseError = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"-1", 0},
		{"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if got := retryAfter(h, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestBackoffIsCapped(t *testing.T) {
	tg := &Target{minBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	for attempt := range 10 {
		if got := tg.backoff(attempt, 0); got <= 0 || got > time.Second {
			t.Errorf("backoff(%d) = %v, want in (0, 1s]", attempt, got)
		}
	}
	if got := tg.backoff(0, 500*time.Millisecond); got < 500*time.Millisecond {
		t.Errorf("backoff with Retry-After 500ms = %v, want at least 500ms", got)
	}
	if got := tg.backoff(0, time.Hour); got != time.Second {
		t.Errorf("backoff with Retry-After 1h = %v, want the 1s cap", got)
	}
}

func TestFilterQuoting(t *testing.T) {
	if got, want := eqFilter("userName", `a"b\c`), `userName eq "a\"b\\c"`; got != want {
		t.Errorf("eqFilter = %s, want %s", got, want)
	}
}

// pagedServer serves five users two a page; without totalResults when
// omitTotal, and always the first page when ignoreStart.
func pagedServer(omitTotal, ignoreStart bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig") {
			fmt.Fprint(w, `{"patch":{"supported":true},"filter":{"supported":true,"maxResults":"2"}}`)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		if ignoreStart || start < 1 {
			start = 1
		}
		var res []string
		for i := start; i < start+2 && i <= 5; i++ {
			res = append(res, fmt.Sprintf(`{"id":"u%d","userName":"u%d@example.com"}`, i, i))
		}
		total := `"totalResults":5,`
		if omitTotal {
			total = ""
		}
		fmt.Fprintf(w, `{%s"Resources":[%s]}`, total, strings.Join(res, ","))
	}))
}

func TestListWithoutTotalResults(t *testing.T) {
	srv := pagedServer(true, false)
	defer srv.Close()
	tg, err := New(t.Context(), Config{URL: srv.URL, Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := tg.findUsers(t.Context(), "")
	if err != nil {
		t.Fatalf("findUsers: %v", err)
	}
	if len(users) != 5 {
		t.Errorf("listed %d users, want 5", len(users))
	}
}

func TestListStopsWhenStartIndexIsIgnored(t *testing.T) {
	srv := pagedServer(false, true)
	defer srv.Close()
	tg, err := New(t.Context(), Config{URL: srv.URL, Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.findUsers(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "startIndex") {
		t.Errorf("findUsers against a server that ignores startIndex: err = %v, want an error naming startIndex", err)
	}
	if got := tg.Stats().Requests[http.MethodGet]; got > 3 {
		t.Errorf("GET requests = %d, want at most 3", got)
	}
}
