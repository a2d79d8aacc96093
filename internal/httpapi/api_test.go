package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/idtoken"
	"github.com/groupsync/groupsync/internal/idtoken/idtokentest"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store/bolt"
)

// recorder is a Starter that remembers what it was asked to start.
type recorder struct {
	mu   sync.Mutex
	reqs []engine.Request
	err  error
}

func (r *recorder) Start(ctx context.Context, req engine.Request) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return "", r.err
	}
	r.reqs = append(r.reqs, req)
	return fmt.Sprintf("job-%d", len(r.reqs)), nil
}

func openBolt(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func do(t *testing.T, h http.Handler, r *http.Request) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestStart(t *testing.T) {
	const token = "s3cret"
	tests := []struct {
		name     string
		ct       string
		target   string
		body     string
		err      error
		wantCode int
		want     *engine.Request
		wantBody string
	}{
		{name: "empty body", target: "/", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP}},
		{name: "empty JSON", ct: "application/json", body: "", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP}},
		{
			name: "JSON fields", ct: "application/json; charset=utf-8",
			body:     `{"rule":" all ","group":"eng@example.com","dry_run":true}`,
			wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP, Rule: "all", Group: "eng@example.com", DryRun: true},
		},
		{name: "JSON force refused", ct: "application/json", body: `{"force":true}`, wantCode: 400, wantBody: "force is not accepted over HTTP"},
		{name: "JSON force false refused too", ct: "application/json", body: `{"rule":"all","force":false}`, wantCode: 400, wantBody: "force is not accepted"},
		{name: "JSON unknown field", ct: "application/json", body: `{"rulez":"all"}`, wantCode: 400, wantBody: "rulez"},
		{name: "JSON dry_run string", ct: "application/json", body: `{"dry_run":"yes"}`, wantCode: 400},
		{name: "JSON two values", ct: "application/json", body: `{} {}`, wantCode: 400},
		{
			name: "form", ct: "application/x-www-form-urlencoded", body: "rule=all&dry_run=true",
			wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP, Rule: "all", DryRun: true},
		},
		{name: "form checkbox", ct: "application/x-www-form-urlencoded", body: "dry_run=on", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP, DryRun: true}},
		{name: "form dry_run false", ct: "application/x-www-form-urlencoded", body: "dry_run=false", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP}},
		{name: "form force refused", ct: "application/x-www-form-urlencoded", body: "force=1", wantCode: 400, wantBody: "force is not accepted"},
		{name: "query force refused", target: "/?force=true", wantCode: 400, wantBody: "force is not accepted"},
		{name: "query group", target: "/?group=sales@example.com", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP, Group: "sales@example.com"}},
		{name: "bad dry_run", ct: "application/x-www-form-urlencoded", body: "dry_run=maybe", wantCode: 400, wantBody: "not a boolean"},
		{name: "starter refuses", err: fmt.Errorf("%w: no rule named %q", httpapi.ErrBadRequest, "x"), wantCode: 400, wantBody: `no rule named \"x\"`},
		{name: "starter fails", err: errors.New("pubsub down"), wantCode: 503},
		{name: "starter busy", err: fmt.Errorf("4 runs in progress: %w", httpapi.ErrTooManyRuns), wantCode: 429, wantBody: "too many runs"},
		{name: "text/plain JSON refused", ct: "text/plain", body: `{"dry_run":true,"rule":"x"}`, wantCode: 415, wantBody: "application/json"},
		{name: "body without type refused", body: `rule=x&dry_run=true`, wantCode: 415},
		{name: "empty text/plain body", ct: "text/plain", wantCode: 202, want: &engine.Request{Trigger: model.TriggerHTTP}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.err}
			h := httpapi.NewAPI(httpapi.Options{Starter: rec, Jobs: openBolt(t), Auth: httpapi.StaticToken(token)})
			target := tt.target
			if target == "" {
				target = "/"
			}
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			r.Header.Set("Authorization", "Bearer "+token)
			resp, body := do(t, h, r)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status: got %d, want %d (body %s)", resp.StatusCode, tt.wantCode, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %s does not contain %q", body, tt.wantBody)
			}
			var want []engine.Request
			if tt.want != nil {
				want = []engine.Request{*tt.want}
				var got httpapi.StartResponse
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.JobID != "job-1" {
					t.Errorf("body %s: got job ID %q (%v), want job-1", body, got.JobID, err)
				}
			}
			if diff := cmp.Diff(want, rec.reqs); diff != "" {
				t.Errorf("started requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIDTokenAuth(t *testing.T) {
	const aud = "https://sync-abc.a.run.app"
	iss := idtokentest.NewServer()
	defer iss.Close()
	auth := httpapi.NewIDTokens(idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: iss.JWKSURL()}),
		[]string{"Scheduler@Proj.iam.gserviceaccount.com", " ops@example.com"})
	h := httpapi.NewAPI(httpapi.Options{Starter: &recorder{}, Jobs: openBolt(t), Auth: auth})
	now := time.Now()
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{name: "no header", want: 401},
		{name: "basic auth", header: "Basic b3BzOnB3", want: 401},
		{name: "empty bearer", header: "Bearer ", want: 401},
		{name: "garbage", header: "Bearer abc.def.ghi", want: 401},
		{name: "expired", header: "Bearer " + iss.Sign(map[string]any{
			"iss": idtokentest.Issuer, "aud": aud, "email": "ops@example.com", "email_verified": true,
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
		}), want: 401},
		{name: "wrong audience", header: "Bearer " + iss.Token("https://other.a.run.app", "ops@example.com"), want: 403},
		{name: "not allowed", header: "Bearer " + iss.Token(aud, "mallory@example.com"), want: 403},
		{name: "unverified email", header: "Bearer " + iss.Sign(map[string]any{
			"iss": idtokentest.Issuer, "aud": aud, "email": "ops@example.com", "email_verified": false,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}), want: 403},
		{name: "allowed", header: "Bearer " + iss.Token(aud, "ops@example.com"), want: 200},
		{name: "allowed, other case", header: "bearer " + iss.Token(aud, "scheduler@proj.iam.gserviceaccount.com"), want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			resp, body := do(t, h, r)
			if resp.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d (body %s)", resp.StatusCode, tt.want, body)
			}
			if tt.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

func TestJobs(t *testing.T) {
	ctx := context.Background()
	store := openBolt(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	older := model.Job{ID: "20260301T100000Z-aaaa", Trigger: model.TriggerSchedule, Status: model.JobDone, Started: t0, Total: 1, Done: 1}
	newer := model.Job{ID: "20260301T110000Z-bbbb", Trigger: model.TriggerHTTP, Status: model.JobRunning, Started: t0.Add(time.Hour), Total: 1}
	for _, j := range []model.Job{older, newer} {
		if err := store.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	res := model.GroupResult{
		JobID: newer.ID, Rule: "all", GroupID: "g1", Email: "eng@example.com", Status: model.GroupApplied,
		Plan:    model.GroupPlan{GroupID: "g1", Email: "eng@example.com", Add: []string{"101"}},
		Counts:  model.Counts{Groups: 1, MembersAdded: 1},
		Started: t0.Add(time.Hour), Finished: t0.Add(time.Hour + time.Second),
	}
	newer, _, err := store.RecordGroupResult(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.NewAPI(httpapi.Options{Starter: &recorder{}, Jobs: store, Auth: httpapi.StaticToken("t")})
	get := func(target string) (*http.Response, string) {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Authorization", "Bearer t")
		return do(t, h, r)
	}

	resp, body := get("/?job=" + newer.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("GET job: %d %s", resp.StatusCode, body)
	}
	var view httpapi.JobView
	if err := json.Unmarshal([]byte(body), &view); err != nil {
		t.Fatal(err)
	}
	want := httpapi.JobView{Job: newer, Groups: []model.GroupResult{res}}
	if diff := cmp.Diff(want, view); diff != "" {
		t.Errorf("job view (-want +got):\n%s", diff)
	}

	if resp, body := get("/?job=nope"); resp.StatusCode != 404 {
		t.Errorf("GET unknown job: got %d %s, want 404", resp.StatusCode, body)
	}

	resp, body = get("/Sync")
	var list struct{ Jobs []model.Job }
	if err := json.Unmarshal([]byte(body), &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET jobs: %d %s %v", resp.StatusCode, body, err)
	}
	var ids []string
	for _, j := range list.Jobs {
		ids = append(ids, j.ID)
	}
	if diff := cmp.Diff([]string{newer.ID, older.ID}, ids); diff != "" {
		t.Errorf("jobs newest first (-want +got):\n%s", diff)
	}
	_, body = get("/?limit=1")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Jobs) != 1 {
		t.Errorf("GET ?limit=1: %s", body)
	}
	if resp, _ := get("/?limit=0"); resp.StatusCode != 400 {
		t.Errorf("GET ?limit=0: got %d, want 400", resp.StatusCode)
	}

	r := httptest.NewRequest(http.MethodDelete, "/", nil)
	r.Header.Set("Authorization", "Bearer t")
	if resp, _ := do(t, h, r); resp.StatusCode != 405 || resp.Header.Get("Allow") == "" {
		t.Errorf("DELETE: got %d Allow %q, want 405 with Allow", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
