package functions

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// hook is a chat webhook that keeps every body it is sent.
type hook struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
}

func (h *hook) texts(t *testing.T) []string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		var m map[string]any
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatalf("webhook body %q is not JSON: %v", b, err)
		}
		if len(m) != 1 || m["text"] == nil {
			t.Errorf("webhook body %s: want exactly a text field (Google Chat refuses unknown fields)", b)
		}
		out = append(out, m["text"].(string))
	}
	return out
}

// TestWebhookAndJobEvents: held and failed jobs reach the webhook, whose
// URL comes from a secret reference, and the groupsync-jobs topic; no
// secret (the webhook URL, the SCIM token, the service account key)
// appears in what is sent.
func TestWebhookAndJobEvents(t *testing.T) {
	e := newE2E(t)
	h := &hook{}
	const secretPath = "/services/T000/B000/s3cretWebhookPath"
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	ref := filepath.Join(t.TempDir(), "webhook-url")
	if err := os.WriteFile(ref, []byte(hs.URL+secretPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envWebhook, "file://"+ref)
	t.Setenv(envSiteURL, "https://sync.example.run.app/")
	t.Setenv(envConfigYAML, os.Getenv(envConfigYAML)+"    policy: {max_deletes: \"1\"}\n")
	resetRuntime()
	c := &cloudRunner{e: e}
	st, err := newStore(t, e)
	if err != nil {
		t.Fatal(err)
	}
	c.store = st
	c.runs = e.ps.Publisher(e.topic(topicRuns))
	t.Cleanup(c.runs.Stop)

	done := c.wait(t, c.trigger(t, engine.Request{Trigger: model.TriggerSchedule}))
	if done.Status != model.JobDone {
		t.Fatalf("first sync: %s %v", done.Status, done.Errors)
	}
	for _, u := range []string{"104", "105"} {
		if err := e.dir.RemoveMember("g3", u); err != nil {
			t.Fatal(err)
		}
	}
	held := c.wait(t, c.trigger(t, engine.Request{Trigger: model.TriggerSchedule}))
	if held.Status != model.JobHeld {
		t.Fatalf("second sync: %s %v, want held", held.Status, held.Errors)
	}
	e.dir.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointGroups, Status: http.StatusNotFound, Reason: "notFound"})
	failed := c.wait(t, c.trigger(t, engine.Request{Trigger: model.TriggerSchedule}))
	if failed.Status != model.JobFailed {
		t.Fatalf("third sync: %s %v, want failed", failed.Status, failed.Errors)
	}

	var texts []string
	waitFor(t, "three webhook posts", func() bool { texts = h.texts(t); return len(texts) >= 3 })
	secrets := []string{"s3cretWebhookPath", e.scim.Token(), "PRIVATE KEY"}
	for i, want := range []struct{ job, status, detail string }{
		{done.ID, "DONE", ""},
		{held.ID, "HELD", "held: rule all: run: 4 deletions exceed max_deletes 1"},
		{failed.ID, "FAILED", "error: "},
	} {
		got := texts[i]
		if !strings.Contains(got, want.job+" "+want.status) || !strings.Contains(got, want.detail) ||
			!strings.Contains(got, "https://sync.example.run.app/jobs/"+want.job) {
			t.Errorf("webhook post %d:\n%s\nwant job %s %s with %q and its page", i, got, want.job, want.status, want.detail)
		}
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("webhook post %d contains a secret (%.12q…):\n%s", i, s, got)
			}
		}
	}
	statuses := map[string]string{}
	for _, b := range e.pull(t, "tap-jobs", 3) {
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("job event contains a secret: %s", b)
			}
		}
		var ev JobEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		statuses[ev.JobID] = ev.Status
	}
	want := map[string]string{done.ID: model.JobDone, held.ID: model.JobHeld, failed.ID: model.JobFailed}
	for id, s := range want {
		if statuses[id] != s {
			t.Errorf("job event of %s: got status %q, want %s (events %v)", id, statuses[id], s, statuses)
		}
	}
}
