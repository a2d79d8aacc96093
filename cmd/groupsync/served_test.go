package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/model"
)

// While serve holds the store, jobs and jobs show read through it.
func TestReadOnlyCommandsWhileServeRuns(t *testing.T) {
	t.Setenv(serveTokenEnv, "")
	path := serveConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", path, "serve", "--addr", "127.0.0.1:0"}, &bytes.Buffer{}, stderr)
	}()
	addrRe := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(30 * time.Second); addrRe.FindStringSubmatch(stderr.String()) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", stderr.String())
		}
	}

	// sync needs the store for writing: it still fails, clearly.
	code, _, errs := runSplit("--config", path, "sync")
	if code != exitError || !strings.Contains(errs, "locked") {
		t.Errorf("sync while serve runs: exit %d, stderr %q; want 1 saying the store is locked", code, errs)
	}

	code, out, errs := runSplit("--config", path, "jobs", "--json")
	var jobs []model.Job
	if code != exitOK || json.Unmarshal([]byte(out), &jobs) != nil {
		t.Fatalf("jobs while serve runs: exit %d, stdout %q, stderr %q; want 0 and JSON", code, out, errs)
	}
	code, _, errs = runSplit("--config", path, "jobs", "show", "nosuchjob")
	if code != exitError || !strings.Contains(errs, "no job nosuchjob") {
		t.Errorf("jobs show of an unknown job while serve runs: exit %d, stderr %q; want 1 and no job", code, errs)
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exited %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "state.db.serve")); !os.IsNotExist(err) {
		t.Errorf("serve left its URL file behind (stat: %v)", err)
	}
	// Without serve the commands read the file again.
	if code, out, errs := runSplit("--config", path, "jobs", "--json"); code != exitOK {
		t.Errorf("jobs after serve: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
