package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// quotaScale shrinks a minute to 2s: the quota and the configured
// qpm are both multiplied by it, so the pacer (tuned relative to its
// ceiling) behaves as it would over real minutes.
const quotaScale = 30

var incompleteRe = regexp.MustCompile(`(\d+) incomplete`)

// TestSyncUnderTightQuota is issue 10's scenario through the CLI: a
// 300-group directory whose admin may make 120 Directory queries a minute
// (another tool spends the rest), with groupsync configured for Google's
// default 2,400. sync must exit 0 with no incomplete group, and a second
// sync must find nothing to write. (The source's own test,
// TestTightQuotaReadsEverything, also scales the retry backoff and shows
// the fixed-count retries failing; here the backoff is the CLI's.)
func TestSyncUnderTightQuota(t *testing.T) {
	// Few users, so that the SCIM writes do not slow the reads below the
	// quota.
	org := workspacetest.Generate(10, 200, 300)
	dirx := workspacetest.NewServer(org, workspacetest.WithQuota(120, time.Minute/quotaScale))
	t.Cleanup(dirx.Close)
	scim := scimtest.NewServer(scimtest.Options{})
	t.Cleanup(scim.Close)
	conf := faultConfig(t, dirx, googleQuotaProxy(t, dirx.URL()), 2400*quotaScale, scim, "")

	start := time.Now()
	code, out := runCLI(t, conf, "sync")
	elapsed := time.Since(start)
	t.Logf("sync: %v, %d Directory requests, %d quota rejections",
		elapsed.Round(time.Millisecond), dirx.TotalRequests(), dirx.QuotaRejections())
	if code != exitOK {
		t.Fatalf("sync under a 120-a-minute quota: exit %d, want 0:\n%s", code, out)
	}
	if m := incompleteRe.FindStringSubmatch(out); m == nil || m[1] != "0" {
		t.Fatalf("sync under a 120-a-minute quota: want 0 incomplete groups:\n%s", out)
	}
	if dirx.QuotaRejections() == 0 {
		// A loaded machine under -race can read slower than the quota.
		t.Log("the quota never refused a request: this run only shows a plain sync")
	}
	if got := len(scim.Groups()); got != len(org.Groups) {
		t.Errorf("SCIM groups after sync: %d, want %d", got, len(org.Groups))
	}
	assertConverged(t, conf, scim)
}

// faultConfig writes a config for one rule syncing every group of dirx
// (reached at api) into scim, and returns its path.
func faultConfig(t *testing.T, dirx *workspacetest.Server, api string, qpm int, scim *scimtest.Server, policy string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.json"), dirx.ServiceAccountKey("groupsync@test.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAULT_SCIM_TOKEN", scim.Token())
	if policy == "" {
		policy = "{}"
	}
	cfg := fmt.Sprintf(`
store: bolt://groupsync.db
sources:
  corp: {type: workspace, admin_subject: %s, credentials: file://key.json, endpoint: "%s/", qpm: %d}
targets:
  app: {type: scim, url: "%s", token: env://FAULT_SCIM_TOKEN}
rules:
  - name: all
    source: corp
    target: app
    groups: {include: ["*@example.com"]}
    policy: %s
`, dirx.Org().Users[0].PrimaryEmail, api, qpm, scim.URL(), policy)
	conf := filepath.Join(dir, "groupsync.yaml")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

func runCLI(t *testing.T, conf string, args ...string) (int, string) {
	t.Helper()
	// One buffer for both streams, written from more than one goroutine.
	var out lockedBuffer
	code := run(context.Background(), append([]string{"--config", conf}, args...), &out, &out)
	return code, out.String()
}

// assertConverged runs sync again: it must exit 0 and write nothing.
func assertConverged(t *testing.T, conf string, scim *scimtest.Server) {
	t.Helper()
	before := scim.Requests()
	if code, out := runCLI(t, conf, "sync"); code != exitOK {
		t.Fatalf("sync after convergence: exit %d, want 0:\n%s", code, out)
	}
	after := scim.Requests()
	for _, method := range []string{http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		if n := after[method] - before[method]; n != 0 {
			t.Errorf("sync after convergence sent %d %s requests, want 0", n, method)
		}
	}
}

// googleQuotaProxy serves the fake behind a proxy that drops Retry-After:
// Google's 403 userRateLimitExceeded carries none, so the client cannot
// simply wait for the quota window to pass.
func googleQuotaProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("Retry-After")
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}
