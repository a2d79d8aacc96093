package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDefaults(t *testing.T) {
	f, err := Parse("conf/groupsync.yaml", []byte(okSources+okTargets+okRules))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("conf")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &File{
		Path:  "conf/groupsync.yaml",
		Store: "bolt://" + filepath.Join(dir, "groupsync.db"),
		Sources: map[string]Source{"corp": {
			Type: "workspace", Customer: "my_customer", AdminSubject: "admin@example.com",
			Credentials: "keyless", QPM: 2400,
		}},
		Targets: map[string]Target{"app": {
			Type: "scim", URL: "https://app.example.com/scim/v2", Token: "env://APP_TOKEN", BatchSize: 100,
		}},
		Rules: []Rule{{
			Name: "eng", Source: "corp", Target: "app",
			Members: MemberOptions{Types: []string{"USER"}, Nested: "flatten"},
			Policy: Policy{
				Mode: "sync", Deprovision: "disable", CreateMissingUsers: &yes,
				MaxDeletes: "10%", MaxDeletesPerGroup: "10%", MaxScopeDrop: "20%",
			},
		}},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Parse() (-want +got):\n%s", diff)
	}
}

func TestParseKeepsExplicitValues(t *testing.T) {
	data := "store: firestore://projects/p/databases/(default)\n" +
		"sources:\n  corp: {type: workspace, domain: example.com, admin_subject: a@example.com, credentials: file:///k.json, qpm: 60}\n" +
		"targets:\n  app: {type: scim, url: \"http://127.0.0.1:9/scim\", token: file://tok, batch_size: 7}\n" +
		"rules:\n  - name: eng\n    source: corp\n    target: app\n    members: {types: [user, group], nested: direct}\n" +
		"    policy: {mode: add-only, deprovision: none, max_deletes: 50, create_missing_users: false}\n"
	f, err := Parse("groupsync.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	no := false
	want := Policy{
		Mode: "add-only", Deprovision: "none", CreateMissingUsers: &no,
		MaxDeletes: "50", MaxDeletesPerGroup: "50", MaxScopeDrop: "20%",
	}
	if diff := cmp.Diff(want, f.Rules[0].Policy); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(MemberOptions{Types: []string{"USER", "GROUP"}, Nested: "direct"}, f.Rules[0].Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if s := f.Sources["corp"]; s.Customer != "" || s.QPM != 60 {
		t.Errorf("source = %+v, want no customer default next to a domain and qpm 60", s)
	}
	if got := f.Targets["app"].BatchSize; got != 7 {
		t.Errorf("batch_size = %d, want 7", got)
	}
	scheme, loc, err := ResolveStore(f)
	if scheme != "firestore" || loc != "projects/p/databases/(default)" || err != nil {
		t.Errorf("ResolveStore() = %q, %q, %v", scheme, loc, err)
	}
}

func TestAbsoluteBoltPathKept(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	f, err := Parse("elsewhere/groupsync.yaml", []byte("store: bolt://"+db+"\n"+okSources+okTargets+okRules))
	if err != nil {
		t.Fatal(err)
	}
	scheme, loc, err := ResolveStore(f)
	if scheme != "bolt" || loc != db || err != nil {
		t.Errorf("ResolveStore() = %q, %q, %v; want bolt, %q", scheme, loc, err, db)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "groupsync.yaml")
	if err := os.WriteFile(path, []byte("store: bolt://data/g.db\n"+okSources+okTargets+okRules), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bolt://" + filepath.Join(dir, "data", "g.db"); f.Store != want {
		t.Errorf("Store = %q, want %q", f.Store, want)
	}
	if f.Path != path {
		t.Errorf("Path = %q, want %q", f.Path, path)
	}
	// Validation reads and creates nothing: the store directory is absent.
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("Load touched the store directory: %v", err)
	}
	if r, ok := f.Rule("eng"); !ok || r.Target != "app" {
		t.Errorf("Rule(eng) = %+v, %v", r, ok)
	}
	if _, ok := f.Rule("nope"); ok {
		t.Error("Rule(nope) found a rule")
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.yaml")
	if _, err := Load(path); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestExampleValidates(t *testing.T) {
	f, err := Parse("groupsync.yaml", Example())
	if err != nil {
		t.Fatalf("Parse(Example()) = %v", err)
	}
	if len(f.Rules) == 0 || f.Schedule == "" {
		t.Errorf("example lacks rules or schedule: %+v", f)
	}
	// Example hands out a copy.
	Example()[0] = 'X'
	if Example()[0] == 'X' {
		t.Error("Example() shares its backing array")
	}
}
