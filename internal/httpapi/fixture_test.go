package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/registry"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// fixture is a config whose source is the fake Directory API and whose
// target is the fake SCIM provider, with a bbolt store.
type fixture struct {
	dir    *workspacetest.Server
	scim   *scimtest.Server
	cfg    *config.File
	store  engine.Store
	engine *engine.Engine
}

// wantMembers is each group's flattened user IDs, from the org itself.
var wantMembers = map[string][]string{
	"g1": {"101", "102", "103"},
	"g2": {"103"},
	"g3": {"104", "105"},
}

func newFixture(t *testing.T, policy string) *fixture {
	t.Helper()
	return newFixtureOrg(t, workspacetest.SmallOrg(), policy)
}

func newFixtureOrg(t *testing.T, org *workspacetest.Org, policy string) *fixture {
	t.Helper()
	f := &fixture{dir: workspacetest.NewServer(org), scim: scimtest.NewServer(scimtest.Options{})}
	t.Cleanup(f.dir.Close)
	t.Cleanup(f.scim.Close)
	tmp := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("dwd-key.json", f.dir.ServiceAccountKey("groupsync@fake-project.iam.gserviceaccount.com"))
	write("scim-token", []byte(f.scim.Token()))
	write("groupsync.yaml", fmt.Appendf(nil, `store: bolt://./groupsync.db
sources:
  corp:
    type: workspace
    admin_subject: admin@example.com
    credentials: file://dwd-key.json
    endpoint: %s
    token_url: %s
    qpm: 600000
targets:
  app:
    type: scim
    url: %s
    token: file://scim-token
rules:
  - name: all
    source: corp
    target: app
    policy: {%s}
`, f.dir.URL(), f.dir.TokenURL(), f.scim.URL(), policy))
	cfg, err := config.Load(filepath.Join(tmp, "groupsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sources, targets, err := registry.Connect(ctx, cfg, registry.Env{Resolver: cfg.Resolver(nil)})
	if err != nil {
		t.Fatal(err)
	}
	store, err := registry.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f.cfg, f.store = cfg, store
	rules, err := cfg.RunRules()
	if err != nil {
		t.Fatal(err)
	}
	f.engine = engine.New(rules, store, sources, targets, engine.Options{})
	return f
}

// targetMembers reads every SCIM group the way a client would (GET
// /Groups) and returns its members as source user IDs, keyed by the
// group's externalId.
func (f *fixture) targetMembers(t *testing.T) map[string][]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.scim.URL()+"/Groups?count=100", nil)
	req.Header.Set("Authorization", "Bearer "+f.scim.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Resources []struct {
			ID         string `json:"id"`
			ExternalID string `json:"externalId"`
		} `json:"Resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, g := range list.Resources {
		ids := []string{}
		for _, m := range f.scim.Members(g.ID) {
			u, ok := f.scim.User(m)
			if !ok {
				t.Fatalf("group %s has unknown member %s", g.ID, m)
			}
			ids = append(ids, u.ExternalID)
		}
		slices.Sort(ids)
		out[g.ExternalID] = ids
	}
	return out
}

func (f *fixture) checkConverged(t *testing.T) {
	t.Helper()
	if diff := cmp.Diff(wantMembers, f.targetMembers(t)); diff != "" {
		t.Errorf("target groups (-want +got):\n%s", diff)
	}
}
