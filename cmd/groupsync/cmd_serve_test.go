package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// lockedBuffer lets the test read what serve writes from its goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func serveConfig(t *testing.T) string {
	t.Helper()
	org := &workspacetest.Org{
		CustomerID: "C0test", Domain: "example.com",
		Users: []*workspacetest.User{
			{ID: "100", PrimaryEmail: "admin@example.com", GivenName: "Ada", FamilyName: "Admin"},
			{ID: "101", PrimaryEmail: "bob@example.com", GivenName: "Bob", FamilyName: "B"},
		},
		Groups: []*workspacetest.Group{{ID: "g1", Email: "eng@example.com", Name: "eng", Members: []workspacetest.Member{
			{ID: "101", Type: workspacetest.TypeUser, Role: workspacetest.RoleMember},
		}}},
	}
	dir := workspacetest.NewServer(org)
	t.Cleanup(dir.Close)
	scim := scimtest.NewServer(scimtest.Options{})
	t.Cleanup(scim.Close)
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "key.json"), dir.ServiceAccountKey("gs@p.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "token"), []byte(scim.Token()), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tmp, "groupsync.yaml")
	cfg := fmt.Sprintf(`store: bolt://./state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json, endpoint: "%s", token_url: "%s"}
targets:
  app: {type: scim, url: "%s", token: file://token}
rules:
  - {name: all, source: corp, target: app}
`, dir.URL(), dir.TokenURL(), scim.URL())
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServeRefusesOpenAddressWithoutToken(t *testing.T) {
	t.Setenv(serveTokenEnv, "")
	path := serveConfig(t)
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"--config", path, "serve", "--addr", "0.0.0.0:0"}, &bytes.Buffer{}, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), serveTokenEnv) {
		t.Errorf("got exit %d, stderr %q; want 1 naming %s", code, stderr.String(), serveTokenEnv)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "state.db")); !os.IsNotExist(err) {
		t.Errorf("the store was created (%v); want nothing touched", err)
	}
}

func TestServeSyncsAndShutsDown(t *testing.T) {
	const token = "serve-test-token"
	t.Setenv(serveTokenEnv, token)
	path := serveConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", path, "serve", "--addr", "127.0.0.1:0"}, &bytes.Buffer{}, stderr)
	}()

	addrRe := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", stderr.String())
		}
	}
	do := func(method, path, auth string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	if resp, _ := do(http.MethodPost, "/api", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without the token: got %s, want 401", resp.Status)
	}
	resp, body := do(http.MethodPost, "/api", token)
	var started httpapi.StartResponse
	if err := json.Unmarshal(body, &started); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api: %s %s", resp.Status, body)
	}
	var v httpapi.JobView
	for deadline := time.Now().Add(60 * time.Second); v.Job.Status == "" || v.Job.Status == model.JobRunning; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not finish: %+v", started.JobID, v.Job)
		}
		_, body := do(http.MethodGet, "/api?job="+started.JobID, token)
		v = httpapi.JobView{}
		json.Unmarshal(body, &v)
	}
	if v.Job.Status != model.JobDone || v.Job.Counts.MembersAdded != 1 {
		t.Errorf("job: got %s with %d members added (errors %v), want done with 1", v.Job.Status, v.Job.Counts.MembersAdded, v.Job.Errors)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exited %d after shutdown, want 0: %s", code, stderr.String())
	}
}
