package storetest

import (
	"context"
	"sync/atomic"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// DataWrites wraps a store and counts the calls that write sync data:
// snapshots, ownership, rule state and forgotten rules. These are what an
// unchanged resync must not make. Job records (jobs, results, rule runs,
// staged reads, gated plans) and leases are a run's own log and are not
// counted.
type DataWrites struct {
	engine.Store
	n atomic.Int64
}

// CountDataWrites wraps s.
func CountDataWrites(s engine.Store) *DataWrites { return &DataWrites{Store: s} }

// Count returns the data writes so far.
func (s *DataWrites) Count() int64 { return s.n.Load() }

func (s *DataWrites) PutSnapshot(ctx context.Context, v model.Snapshot) error {
	s.n.Add(1)
	return s.Store.PutSnapshot(ctx, v)
}

func (s *DataWrites) DeleteSnapshot(ctx context.Context, rule, id string) error {
	s.n.Add(1)
	return s.Store.DeleteSnapshot(ctx, rule, id)
}

func (s *DataWrites) PutOwned(ctx context.Context, o model.Owned) error {
	s.n.Add(1)
	return s.Store.PutOwned(ctx, o)
}

// PutOwnedBatch counts each record, and passes the batch on when the
// store takes batches.
func (s *DataWrites) PutOwnedBatch(ctx context.Context, os []model.Owned) error {
	s.n.Add(int64(len(os)))
	if b, ok := s.Store.(interface {
		PutOwnedBatch(context.Context, []model.Owned) error
	}); ok {
		return b.PutOwnedBatch(ctx, os)
	}
	for _, o := range os {
		if err := s.Store.PutOwned(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func (s *DataWrites) DeleteOwned(ctx context.Context, rule, kind, id string) error {
	s.n.Add(1)
	return s.Store.DeleteOwned(ctx, rule, kind, id)
}

func (s *DataWrites) PutRuleState(ctx context.Context, st model.RuleState) error {
	s.n.Add(1)
	return s.Store.PutRuleState(ctx, st)
}

func (s *DataWrites) ForgetRule(ctx context.Context, rule string) error {
	s.n.Add(1)
	return s.Store.ForgetRule(ctx, rule)
}
