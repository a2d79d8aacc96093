package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

func TestLoggerUsesCloudLoggingFields(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "p")
	log.With("job", "j1").Warn("held", "rule", "all")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	delete(got, "time")
	want := map[string]any{"severity": "WARNING", "message": "held", "job": "j1", "rule": "all"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log line (-want +got):\n%s", diff)
	}
}

func TestSeverity(t *testing.T) {
	for l, want := range map[slog.Level]string{
		slog.LevelDebug: "DEBUG", slog.LevelInfo: "INFO", slog.LevelWarn: "WARNING", slog.LevelError: "ERROR", slog.LevelError + 4: "ERROR",
	} {
		if got := severity(l); got != want {
			t.Errorf("severity(%v) = %s, want %s", l, got, want)
		}
	}
}

func pubsubEvent(t *testing.T, data []byte) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/groupsync-runs")
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	if err := e.SetData(cloudevents.ApplicationJSON, map[string]any{"message": map[string]any{"data": data, "messageId": "m1"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// A config that cannot load is permanent: events are acknowledged (nil)
// rather than redelivered forever, and Sync answers 500.
func TestInvalidConfigIsAcknowledged(t *testing.T) {
	t.Setenv(envConfigYAML, "store: nowhere://\nrules: 3\n")
	t.Setenv(envProject, "p")
	resetRuntime()
	t.Cleanup(resetRuntime)
	for name, fn := range map[string]func() error{
		"Dispatch":  func() error { return dispatch(t.Context(), pubsubEvent(t, []byte(`{}`))) },
		"SyncGroup": func() error { return syncGroup(t.Context(), pubsubEvent(t, []byte(`{}`))) },
	} {
		if err := fn(); err != nil {
			t.Errorf("%s: got %v, want nil (acknowledge)", name, err)
		}
	}
	w := httptest.NewRecorder()
	httpSync(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("Sync: got %d, want 500", w.Code)
	}
}

// Bodies a retry cannot fix are acknowledged, before anything is read or
// published.
func TestMalformedMessagesAreAcknowledged(t *testing.T) {
	dir := workspacetest.NewServer(workspacetest.SmallOrg())
	defer dir.Close()
	scim := scimtest.NewServer(scimtest.Options{})
	defer scim.Close()
	tmp := t.TempDir()
	key := filepath.Join(tmp, "key.json")
	if err := os.WriteFile(key, dir.ServiceAccountKey("gs@p.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GS_TEST_TOKEN", scim.Token())
	t.Setenv(envConfigYAML, fmt.Sprintf(`store: bolt://%s/gs.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: "file://%s", endpoint: "%s", token_url: "%s"}
targets:
  app: {type: scim, url: "%s", token: env://GS_TEST_TOKEN}
rules:
  - {name: all, source: corp, target: app}
`, tmp, key, dir.URL(), dir.TokenURL(), scim.URL()))
	t.Setenv(envProject, "p")
	// Nothing may be published: an unreachable emulator makes sure.
	t.Setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:1")
	resetRuntime()
	t.Cleanup(resetRuntime)
	if _, err := getRuntime(t.Context()); err != nil {
		t.Fatalf("runtime: %v", err)
	}
	tests := []struct {
		name string
		fn   func(context.Context, cloudevents.Event) error
		data string
	}{
		{"run not JSON", dispatch, "sync please"},
		{"run with force typo", dispatch, `{"forse": true}`},
		{"run with unknown rule", dispatch, `{"rule": "nope", "job_id": "20260301T100000Z-aaaa"}`},
		{"task not JSON", syncGroup, "{"},
		{"task without job", syncGroup, `{"rule": "all", "group": {"id": "g1"}}`},
		{"task without group", syncGroup, `{"job_id": "j", "rule": "all"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(t.Context(), pubsubEvent(t, []byte(tt.data))); err != nil {
				t.Errorf("got %v, want nil (acknowledge)", err)
			}
		})
	}
	if got := scim.Requests(); len(got) != 0 {
		t.Errorf("malformed messages reached the target: %v", got)
	}
}
