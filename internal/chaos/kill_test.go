package chaos

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// killStore kills the instance at random writes: the write is lost, or it
// lands and its answer is lost. The step sees an error and is redelivered.
type killStore struct {
	engine.Store
	rate  float64
	stats *stats

	mu  sync.Mutex
	rng *rand.Rand
}

var errKilled = errors.New("instance killed")

func (s *killStore) write(fn func() error) error {
	s.mu.Lock()
	kill := s.rate > 0 && s.rng.Float64() < s.rate
	after := s.rng.IntN(2) == 0
	s.mu.Unlock()
	if !kill {
		return fn()
	}
	if after {
		s.stats.add("kill after a write landed")
		if err := fn(); err != nil {
			return err
		}
	} else {
		s.stats.add("kill before a write")
	}
	return errKilled
}

func (s *killStore) PutSnapshot(ctx context.Context, v model.Snapshot) error {
	return s.write(func() error { return s.Store.PutSnapshot(ctx, v) })
}
func (s *killStore) PutOwned(ctx context.Context, o model.Owned) error {
	return s.write(func() error { return s.Store.PutOwned(ctx, o) })
}
func (s *killStore) RecordGroupResult(ctx context.Context, r model.GroupResult) (j model.Job, first bool, err error) {
	err = s.write(func() error { j, first, err = s.Store.RecordGroupResult(ctx, r); return err })
	return j, first, err
}
func (s *killStore) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (r model.RuleRun, j model.Job, err error) {
	err = s.write(func() error { r, j, err = s.Store.UpdateRuleRun(ctx, jobID, rule, fn); return err })
	return r, j, err
}
func (s *killStore) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (n int, err error) {
	err = s.write(func() error { n, err = s.Store.PutStaged(ctx, jobID, rule, m); return err })
	return n, err
}
func (s *killStore) PutPlan(ctx context.Context, h model.HeldPlan) error {
	return s.write(func() error { return s.Store.PutPlan(ctx, h) })
}
func (s *killStore) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (ok bool, err error) {
	err = s.write(func() error { ok, err = s.Store.AcquireLease(ctx, key, holder, ttl); return err })
	return ok, err
}
