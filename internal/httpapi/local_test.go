package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
)

// serveSite runs NewSite with a LocalStarter on 127.0.0.1, as
// `groupsync serve` does without a token.
func serveSite(t *testing.T, f *fixture) (*httptest.Server, *httpapi.LocalStarter) {
	t.Helper()
	starter := httpapi.NewLocalStarter(f.cfg, f.engine, nil)
	srv := httptest.NewServer(httpapi.NewSite(httpapi.Options{Starter: starter, Jobs: f.store, Auth: httpapi.LoopbackOnly{}}))
	t.Cleanup(srv.Close)
	return srv, starter
}

func startJSON(t *testing.T, base, body string) string {
	t.Helper()
	resp, err := http.Post(base+"/api", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got httpapi.StartResponse
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusAccepted || got.JobID == "" {
		t.Fatalf("POST /api: %s, job %q, %v", resp.Status, got.JobID, err)
	}
	return got.JobID
}

func getView(t *testing.T, base, id string) httpapi.JobView {
	t.Helper()
	resp, err := http.Get(base + "/api?job=" + url.QueryEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v httpapi.JobView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET job %s: %s %v", id, resp.Status, err)
	}
	return v
}

func TestLocalStarterSyncs(t *testing.T) {
	f := newFixture(t, "")
	srv, starter := serveSite(t, f)
	id := startJSON(t, srv.URL, `{}`)
	if err := starter.Shutdown(context.Background()); err != nil { // waits for the run
		t.Fatal(err)
	}
	v := getView(t, srv.URL, id)
	if v.Job.Status != model.JobDone || v.Job.Trigger != model.TriggerHTTP || v.Job.Done != 3 || v.Job.Total != 3 {
		t.Errorf("job: got status %s trigger %s done %d/%d, want done http 3/3 (errors %v)", v.Job.Status, v.Job.Trigger, v.Job.Done, v.Job.Total, v.Job.Errors)
	}
	f.checkConverged(t)
}

// A request cannot turn off a rule's configured dry run.
func TestLocalStarterServerPolicyWins(t *testing.T) {
	f := newFixture(t, "dry_run: true")
	srv, starter := serveSite(t, f)
	id := startJSON(t, srv.URL, `{"dry_run": false}`)
	if err := starter.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := getView(t, srv.URL, id)
	if len(v.Groups) != 3 {
		t.Fatalf("got %d group results, want 3", len(v.Groups))
	}
	for _, g := range v.Groups {
		if g.Status != model.GroupPlanned {
			t.Errorf("group %s: got status %s, want %s", g.Email, g.Status, model.GroupPlanned)
		}
	}
	reqs := f.scim.Requests()
	if writes := reqs["POST"] + reqs["PATCH"] + reqs["PUT"] + reqs["DELETE"]; writes != 0 {
		t.Errorf("dry run made %d SCIM writes (%v), want 0", writes, reqs)
	}
}

func TestLocalStarterRefusesUnknownRule(t *testing.T) {
	f := newFixture(t, "")
	srv, _ := serveSite(t, f)
	resp, err := http.Post(srv.URL+"/api", "application/json", strings.NewReader(`{"rule":"nope"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `no rule named \"nope\"`) {
		t.Errorf("got %s %s, want 400 naming the rule", resp.Status, body)
	}
}

func TestSitePages(t *testing.T) {
	f := newFixture(t, "")
	srv, starter := serveSite(t, f)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.PostForm(srv.URL+"/sync", url.Values{"group": {"sales@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("POST /sync: got %s Location %q, want 303 to /jobs/ID", resp.Status, loc)
	}
	id := strings.TrimPrefix(loc, "/jobs/")
	if err := starter.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	page := func(path string) (int, string) {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8") // as a browser asks
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := page("/"); code != 200 || !strings.Contains(body, `href="/jobs/`+id+`"`) {
		t.Errorf("GET /: %d, want a link to job %s in:\n%s", code, id, body)
	}
	code, body := page(loc)
	if code != 200 || !strings.Contains(body, "sales@example.com") || !strings.Contains(body, `class="done"`) {
		t.Errorf("GET %s: %d, want the done job with its group in:\n%s", loc, code, body)
	}
	if code, _ := page("/jobs/nope"); code != 404 {
		t.Errorf("GET /jobs/nope: got %d, want 404", code)
	}
}

func TestSiteRefusesCrossSite(t *testing.T) {
	f := newFixture(t, "")
	srv, _ := serveSite(t, f)
	tests := []struct {
		name   string
		header func(*http.Request)
	}{
		{name: "cross-site form post", header: func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }},
		{name: "foreign origin", header: func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }},
		{name: "DNS rebinding host", header: func(r *http.Request) { r.Host = "evil.example" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+"/sync", strings.NewReader("dry_run=on"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			tt.header(r)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got %s, want 403", resp.Status)
			}
		})
	}
	jobs, err := f.store.Jobs(context.Background(), 10)
	if err != nil || len(jobs) != 0 {
		t.Errorf("refused requests started %d jobs (%v), want none", len(jobs), err)
	}
}
