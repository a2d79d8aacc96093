package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// batchTarget creates users in batches, one by one underneath, and
// records each batch's size.
type batchTarget struct {
	engine.Target
	single  bool // it would send one request a user: do not batch
	mu      sync.Mutex
	batches []int
	asked   int // BatchesCreates calls: a SCIM server's would be a request
}

func (b *batchTarget) BatchesCreates(context.Context) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked++
	return !b.single
}

func (b *batchTarget) CreateUsers(ctx context.Context, users []target.UserCreate) []target.CreateResult {
	b.mu.Lock()
	b.batches = append(b.batches, len(users))
	b.mu.Unlock()
	out := make([]target.CreateResult, len(users))
	for i, u := range users {
		c, err := b.CreateUser(ctx, u.User, u.Opts)
		out[i] = target.CreateResult{Created: c, Err: err}
	}
	return out
}

// TestBatchCreates: a target that creates in batches gets every new user
// in chunks spread over the workers, and the run ends as it does with
// one create per user.
func TestBatchCreates(t *testing.T) {
	plain := newFixture(t, "")
	want := plain.run(t, engine.Request{})

	f := newFixture(t, "")
	bt := &batchTarget{Target: f.tgt}
	f.eng = engine.New(rules(t, mustConfig(t, "")), f.store, map[string]engine.Source{"corp": f.src},
		map[string]engine.Target{"app": bt}, engine.Options{Workers: 4})
	got := f.run(t, engine.Request{})
	if got.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (errors %v)", got.Status, got.Errors)
	}
	if diff := cmp.Diff(want.Counts, got.Counts); diff != "" {
		t.Errorf("counts with batch creates (-one by one +batched):\n%s", diff)
	}
	total := 0
	for _, n := range bt.batches {
		total += n
	}
	if total != got.Counts.UsersCreated || len(bt.batches) != 4 {
		t.Errorf("batches %v: got %d users in %d batches, want %d in 4 (one per worker)", bt.batches, total, len(bt.batches), got.Counts.UsersCreated)
	}
	// Nothing left to create: the next run makes no batch and does not
	// even ask the target whether it batches.
	bt.batches, bt.asked = nil, 0
	if again := f.run(t, engine.Request{}); again.Counts.UsersCreated != 0 || len(bt.batches) != 0 || bt.asked != 0 {
		t.Errorf("second run: %d users created in batches %v, %d capability questions; want none", again.Counts.UsersCreated, bt.batches, bt.asked)
	}
}

// TestBatchCreatesOnlyWhenBatching: a target that would send its batches
// one request a user (no Bulk) gets single creates over the workers.
func TestBatchCreatesOnlyWhenBatching(t *testing.T) {
	f := newFixture(t, "")
	bt := &batchTarget{Target: f.tgt, single: true}
	f.eng = engine.New(rules(t, mustConfig(t, "")), f.store, map[string]engine.Source{"corp": f.src},
		map[string]engine.Target{"app": bt}, engine.Options{Workers: 4})
	got := f.run(t, engine.Request{})
	if got.Status != model.JobDone || got.Counts.UsersCreated == 0 {
		t.Fatalf("status %s, %d users created; want done with users created", got.Status, got.Counts.UsersCreated)
	}
	if len(bt.batches) != 0 {
		t.Errorf("batches %v sent to a target that does not batch, want none", bt.batches)
	}
}
