package runmatrix

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/registry"
	"github.com/groupsync/groupsync/internal/store/bolt"
)

// Local is the CLI's runner: engine.Run on an in-process queue, with a
// bbolt store that lives as long as the test.
type Local struct {
	// Wrap, when set, wraps the store each run uses (fault injection).
	Wrap func(engine.Store) engine.Store

	dir   string
	store *bolt.Store
}

// NewLocal returns a local runner with a fresh store.
func NewLocal(t *testing.T) *Local {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "groupsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Local{dir: dir, store: st}
}

// StoreURL is the store line of the runner's configs.
func (l *Local) StoreURL() string { return "bolt://" + filepath.Join(l.dir, "unused.db") }

func (l *Local) engine(t *testing.T, cfg string) *engine.Engine {
	t.Helper()
	f, err := config.Parse(filepath.Join(l.dir, "groupsync.yaml"), []byte(cfg))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	rules, err := f.RunRules()
	if err != nil {
		t.Fatal(err)
	}
	sources, targets, err := registry.Connect(context.Background(), f, registry.Env{Resolver: f.Resolver(nil)})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var st engine.Store = l.store
	if l.Wrap != nil {
		st = l.Wrap(st)
	}
	return engine.New(rules, st, sources, targets, engine.Options{Workers: 4})
}

// Sync implements Runner.
func (l *Local) Sync(t *testing.T, cfg string, req engine.Request) model.Job {
	t.Helper()
	j, err := l.engine(t, cfg).Run(context.Background(), req)
	if err != nil {
		t.Logf("run %s: %v", j.ID, err)
	}
	return j
}

// SyncTogether implements Runner.
func (l *Local) SyncTogether(t *testing.T, cfg string, reqs ...engine.Request) []model.Job {
	t.Helper()
	e := l.engine(t, cfg)
	jobs := make([]model.Job, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			j, err := e.Run(context.Background(), req)
			if err != nil {
				t.Logf("run: %v", err)
			}
			jobs[i] = j
		})
	}
	wg.Wait()
	return jobs
}

// Redeliver implements Runner: the same job ID starts again.
func (l *Local) Redeliver(t *testing.T, cfg string, req engine.Request) []model.Job {
	t.Helper()
	l.Sync(t, cfg, req)
	jobs, err := l.store.Jobs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// Approve implements Runner.
func (l *Local) Approve(t *testing.T, cfg string, jobID string) (model.Job, error) {
	t.Helper()
	return l.engine(t, cfg).Approve(context.Background(), jobID)
}

// Store implements Runner.
func (l *Local) Store(t *testing.T, cfg string) engine.Store { return l.store }
