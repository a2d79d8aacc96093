package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// crashStore kills the instance at one write: the k-th write either never
// happens (before) or happens and is never acknowledged (after), as when
// a function instance dies around a commit. Steps see an error and are
// redelivered.
type crashStore struct {
	engine.Store
	at    int64
	after bool

	mu sync.Mutex
	n  int64
}

var errCrash = errors.New("instance killed")

func (s *crashStore) write(fn func() error) error {
	s.mu.Lock()
	s.n++
	hit := s.n == s.at
	s.mu.Unlock()
	if !hit {
		return fn()
	}
	if s.after {
		if err := fn(); err != nil {
			return err
		}
	}
	return errCrash
}

func (s *crashStore) PutSnapshot(ctx context.Context, v model.Snapshot) error {
	return s.write(func() error { return s.Store.PutSnapshot(ctx, v) })
}
func (s *crashStore) PutOwned(ctx context.Context, o model.Owned) error {
	return s.write(func() error { return s.Store.PutOwned(ctx, o) })
}
func (s *crashStore) PutRuleState(ctx context.Context, v model.RuleState) error {
	return s.write(func() error { return s.Store.PutRuleState(ctx, v) })
}
func (s *crashStore) CreateJob(ctx context.Context, j model.Job) error {
	return s.write(func() error { return s.Store.CreateJob(ctx, j) })
}
func (s *crashStore) RecordGroupResult(ctx context.Context, r model.GroupResult) (j model.Job, first bool, err error) {
	err = s.write(func() error { j, first, err = s.Store.RecordGroupResult(ctx, r); return err })
	return j, first, err
}
func (s *crashStore) CreateRuleRun(ctx context.Context, r model.RuleRun) (out model.RuleRun, created bool, err error) {
	err = s.write(func() error { out, created, err = s.Store.CreateRuleRun(ctx, r); return err })
	return out, created, err
}
func (s *crashStore) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (r model.RuleRun, j model.Job, err error) {
	err = s.write(func() error { r, j, err = s.Store.UpdateRuleRun(ctx, jobID, rule, fn); return err })
	return r, j, err
}
func (s *crashStore) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (n int, err error) {
	err = s.write(func() error { n, err = s.Store.PutStaged(ctx, jobID, rule, m); return err })
	return n, err
}
func (s *crashStore) PutPlan(ctx context.Context, h model.HeldPlan) error {
	return s.write(func() error { return s.Store.PutPlan(ctx, h) })
}
func (s *crashStore) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (ok bool, err error) {
	err = s.write(func() error { ok, err = s.Store.AcquireLease(ctx, key, holder, ttl); return err })
	return ok, err
}

// TestCrashAtEveryWriteConverges kills the run at each of its writes in
// turn, before and after the write lands. The run may end failed or
// partial, but it never leaves more than the source asks for, never makes
// a user twice, and one clean run afterwards converges.
func TestCrashAtEveryWriteConverges(t *testing.T) {
	clean := newFixture(t, "")
	counter := &crashStore{Store: clean.store, at: -1}
	clean.eng = engine.New(rules(t, mustConfig(t, "")), counter, map[string]engine.Source{"corp": clean.src}, map[string]engine.Target{"app": clean.tgt}, engine.Options{Workers: 4})
	clean.run(t, engine.Request{})
	writes := counter.n
	want := map[string][]string{}
	for _, g := range []string{"a", "b", "c"} {
		want[g] = clean.tgt.Members("eng-" + g + "@example.com")
	}
	for k := int64(1); k <= writes; k++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("write%02d/after=%t", k, after), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, "")
				crash := &crashStore{Store: f.store, at: k, after: after}
				eng := engine.New(rules(t, mustConfig(t, "")), crash, map[string]engine.Source{"corp": f.src}, map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4})
				eng.Run(context.Background(), engine.Request{JobID: "crashed"})
				if got := len(f.tgt.ActiveUsers()); got > 30 {
					t.Fatalf("after the crash: %d users, want at most 30", got)
				}
				j := f.run(t, engine.Request{})
				if j.Status != model.JobDone {
					t.Fatalf("clean run after the crash: %s %v, want done", j.Status, j.Errors)
				}
				got := map[string][]string{}
				for _, g := range []string{"a", "b", "c"} {
					got[g] = f.tgt.Members("eng-" + g + "@example.com")
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("target after crash + clean run (-want +got):\n%s", diff)
				}
				if n := len(f.tgt.ActiveUsers()); n != 30 {
					t.Errorf("users: %d, want 30", n)
				}
			})
		}
	}
}
