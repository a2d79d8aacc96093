package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
)

// --remote reaches a deployment's API with a bearer ID token and needs no
// config: here a token-protected `serve` stands in for the Sync function.
func TestRemoteCommands(t *testing.T) {
	const token = "remote-test-token"
	t.Setenv(serveTokenEnv, token)
	t.Setenv(idTokenEnv, token)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url, done := startCmd(t, ctx, regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`), "--config", serveConfig(t), "serve", "--addr", "127.0.0.1:0")
	// No --config: a remote command opens nothing locally.
	code, out, errs := runSplit("--config", "/nonexistent/groupsync.yaml", "sync", "--remote", url, "--json")
	var job model.Job
	if code != exitOK || json.Unmarshal([]byte(out), &job) != nil || job.Status != model.JobDone {
		t.Fatalf("sync --remote: exit %d, stdout %q, stderr %q; want 0 and a done job", code, out, errs)
	}
	code, out, errs = runSplit("jobs", "--remote", url, "--json")
	var jobs []model.Job
	if code != exitOK || json.Unmarshal([]byte(out), &jobs) != nil || len(jobs) != 1 || jobs[0].ID != job.ID {
		t.Errorf("jobs --remote: exit %d, stdout %q, stderr %q; want job %s", code, out, errs, job.ID)
	}
	if code, out, errs = runSplit("jobs", "show", job.ID, "--remote", url); code != exitOK || !strings.Contains(out, job.ID) {
		t.Errorf("jobs show --remote: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs = runSplit("approve", job.ID, "--remote", url, "--yes"); code != exitError || !strings.Contains(errs, "is done") {
		t.Errorf("approve --remote of a done job: exit %d, stderr %q; want 1 saying it is done", code, errs)
	}
	if code, _, errs = runSplit("sync", "--remote", url, "--force"); code != exitError || !strings.Contains(errs, "refuses --force") {
		t.Errorf("sync --remote --force: exit %d, stderr %q; want 1, refused", code, errs)
	}
	t.Setenv(idTokenEnv, "wrong")
	if code, _, errs = runSplit("jobs", "--remote", url); code != exitError {
		t.Errorf("jobs --remote with a wrong token: exit %d, stderr %q; want 1", code, errs)
	}
	cancel()
	<-done
}
