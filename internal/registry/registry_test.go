package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/registry"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim"
)

func load(t *testing.T, yaml string) *config.File {
	t.Helper()
	dir := t.TempDir()
	srv := workspacetest.NewServer(workspacetest.Generate(1, 3, 2))
	t.Cleanup(srv.Close)
	if err := os.WriteFile(filepath.Join(dir, "key.json"), srv.ServiceAccountKey("sa@p.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse(filepath.Join(dir, "groupsync.yaml"), []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return f
}

const connectConfig = `
store: bolt://state/groupsync.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "http://127.0.0.1:1/scim/v2", token: env://REGISTRY_TEST_TOKEN}
rules:
  - {name: r, source: corp, target: app}
`

func TestConnectBuildsEachTypeFromItsFactory(t *testing.T) {
	t.Setenv("REGISTRY_TEST_TOKEN", "t0ken")
	f := load(t, connectConfig)
	sources, targets, err := registry.Connect(context.Background(), f, registry.Env{Resolver: f.Resolver(nil)})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if _, ok := sources["corp"].(*workspace.Source); !ok {
		t.Errorf("sources[corp]: got %T, want *workspace.Source", sources["corp"])
	}
	if _, ok := targets["app"].(*scim.Target); !ok {
		t.Errorf("targets[app]: got %T, want *scim.Target", targets["app"])
	}
}

func TestConnectNamesTheMissingSecret(t *testing.T) {
	f := load(t, connectConfig)
	_, _, err := registry.Connect(context.Background(), f, registry.Env{Resolver: f.Resolver(nil)})
	if err == nil || !strings.Contains(err.Error(), "target app") || !strings.Contains(err.Error(), "REGISTRY_TEST_TOKEN") {
		t.Errorf("Connect without the token: got %v, want an error naming target app and REGISTRY_TEST_TOKEN", err)
	}
	if err != nil && strings.Contains(err.Error(), "t0ken") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestOpenStoreBoltRelativeToConfig(t *testing.T) {
	f := load(t, connectConfig)
	st, err := registry.OpenStore(context.Background(), f)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	defer st.Close()
	if _, err := os.Stat(filepath.Join(filepath.Dir(f.Path), "state", "groupsync.db")); err != nil {
		t.Errorf("bolt file not next to the config: %v", err)
	}
}
