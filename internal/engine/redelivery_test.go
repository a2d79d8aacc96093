package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// twiceQueue delivers every step twice, as Pub/Sub may.
type twiceQueue struct {
	mu    sync.Mutex
	steps []engine.Step
}

func (q *twiceQueue) Publish(_ context.Context, steps ...engine.Step) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, s := range steps {
		q.steps = append(q.steps, s, s)
	}
	return nil
}

func (q *twiceQueue) drain(t *testing.T, e *engine.Engine) {
	t.Helper()
	for {
		q.mu.Lock()
		if len(q.steps) == 0 {
			q.mu.Unlock()
			return
		}
		s := q.steps[0]
		q.steps = q.steps[1:]
		q.mu.Unlock()
		if err := e.Handle(context.Background(), s); err != nil {
			t.Fatalf("%s step: %v", s.Kind, err)
		}
	}
}

// Every step delivered twice makes the same target writes and the same
// job as one delivery each.
func TestEveryStepDeliveredTwiceWritesOnce(t *testing.T) {
	once := newFixture(t, "")
	want := once.run(t, engine.Request{JobID: "job"})

	f := newFixture(t, "")
	q := &twiceQueue{}
	e := engine.New(rules(t, mustConfig(t, "")), f.store, map[string]engine.Source{"corp": f.src}, map[string]engine.Target{"app": f.tgt}, engine.Options{Queue: q, Workers: 4})
	q.Publish(context.Background(), engine.Step{Kind: engine.StepStart, JobID: "job", Request: &engine.Request{}})
	q.drain(t, e)
	got, err := f.store.Job(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := f.tgt.Writes(), once.tgt.Writes(); g != w {
		t.Errorf("target writes with every step twice: %d, want %d", g, w)
	}
	ignore := cmpopts.IgnoreFields(model.Job{}, "Started", "Finished", "Updated")
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("job (-once +twice):\n%s", diff)
	}
}
