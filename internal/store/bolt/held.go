package bolt

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
)

// PutHeld stores a rule's held plan for a job, replacing any earlier one.
func (s *Store) PutHeld(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put held plan: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketHeld, h.JobID)
		if err != nil {
			return err
		}
		return put(b, h.Rule, h)
	})
	if err != nil {
		return fmt.Errorf("put held plan %s/%s: %w", h.JobID, h.Rule, err)
	}
	return nil
}

// Held lists a job's held plans, sorted by rule.
func (s *Store) Held(ctx context.Context, jobID string) ([]model.HeldPlan, error) {
	var out []model.HeldPlan
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[model.HeldPlan](nested(tx, bucketHeld, jobID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("held plans of job %s: %w", jobID, err)
	}
	return out, nil
}

// DeleteHeld deletes a held plan; deleting a missing one is not an error.
func (s *Store) DeleteHeld(ctx context.Context, jobID, rule string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := nested(tx, bucketHeld, jobID)
		if err := del(b, rule); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k == nil {
			return tx.Bucket(bucketHeld).DeleteBucket([]byte(jobID))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete held plan %s/%s: %w", jobID, rule, err)
	}
	return nil
}
