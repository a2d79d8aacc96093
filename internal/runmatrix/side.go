package runmatrix

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/registry"
)

// Held is a queue that keeps what it is given, so a scenario can pause a
// job between steps (an instance that stalls) and resume it later.
type Held struct {
	mu    sync.Mutex
	steps []engine.Step
}

// Publish implements engine.Queue.
func (h *Held) Publish(_ context.Context, steps ...engine.Step) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.steps = append(h.steps, steps...)
	return nil
}

// Drain runs the held steps, and the steps they publish, on e until none
// is left, and returns the errors the steps returned.
func (h *Held) Drain(ctx context.Context, e *engine.Engine) []error {
	var errs []error
	for {
		h.mu.Lock()
		if len(h.steps) == 0 {
			h.mu.Unlock()
			return errs
		}
		s := h.steps[0]
		h.steps = h.steps[1:]
		h.mu.Unlock()
		if err := e.Handle(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
}

// SideEngine is a second worker on a runner's store, whose steps wait on
// q until the scenario drains them.
func SideEngine(t *testing.T, cfg string, st engine.Store, q engine.Queue, ruleLease time.Duration) *engine.Engine {
	t.Helper()
	f, err := config.Parse(filepath.Join(t.TempDir(), "groupsync.yaml"), []byte(cfg))
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
	return engine.New(rules, st, sources, targets, engine.Options{Queue: q, RuleLeaseTTL: ruleLease, Workers: 4})
}
