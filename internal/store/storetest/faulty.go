package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// ErrKilled is what a Faulty store's killed write returns.
var ErrKilled = errors.New("instance killed")

// Faulty wraps a store and kills the instance at the writes Kill picks:
// the write never happens, or (after) it lands and its answer is lost, as
// when a function instance dies around a commit. The step sees ErrKilled
// and is redelivered. Kill is called once per write, from many goroutines.
type Faulty struct {
	engine.Store
	Kill func() (kill, after bool)
}

func (s *Faulty) write(fn func() error) error {
	kill, after := s.Kill()
	if !kill {
		return fn()
	}
	if after {
		if err := fn(); err != nil {
			return err
		}
	}
	return ErrKilled
}

func (s *Faulty) PutSnapshot(ctx context.Context, v model.Snapshot) error {
	return s.write(func() error { return s.Store.PutSnapshot(ctx, v) })
}

func (s *Faulty) PutOwned(ctx context.Context, o model.Owned) error {
	return s.write(func() error { return s.Store.PutOwned(ctx, o) })
}

func (s *Faulty) PutRuleState(ctx context.Context, v model.RuleState) error {
	return s.write(func() error { return s.Store.PutRuleState(ctx, v) })
}

func (s *Faulty) CreateJob(ctx context.Context, j model.Job) error {
	return s.write(func() error { return s.Store.CreateJob(ctx, j) })
}

func (s *Faulty) RecordGroupResult(ctx context.Context, r model.GroupResult) (j model.Job, first bool, err error) {
	err = s.write(func() error { j, first, err = s.Store.RecordGroupResult(ctx, r); return err })
	return j, first, err
}

func (s *Faulty) CreateRuleRun(ctx context.Context, r model.RuleRun) (out model.RuleRun, created bool, err error) {
	err = s.write(func() error { out, created, err = s.Store.CreateRuleRun(ctx, r); return err })
	return out, created, err
}

func (s *Faulty) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (r model.RuleRun, j model.Job, err error) {
	err = s.write(func() error { r, j, err = s.Store.UpdateRuleRun(ctx, jobID, rule, fn); return err })
	return r, j, err
}

func (s *Faulty) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (n int, err error) {
	err = s.write(func() error { n, err = s.Store.PutStaged(ctx, jobID, rule, m); return err })
	return n, err
}

func (s *Faulty) PutPlan(ctx context.Context, h model.HeldPlan) error {
	return s.write(func() error { return s.Store.PutPlan(ctx, h) })
}

func (s *Faulty) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (ok bool, err error) {
	err = s.write(func() error { ok, err = s.Store.AcquireLease(ctx, key, holder, ttl); return err })
	return ok, err
}
