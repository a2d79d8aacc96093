package bolt

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
)

// PutPlan stores a rule's gated plan for a job, replacing any earlier one.
func (s *Store) PutPlan(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketHeld, h.JobID)
		if err != nil {
			return err
		}
		return put(b, h.Rule, h)
	})
	if err != nil {
		return fmt.Errorf("put plan %s/%s: %w", h.JobID, h.Rule, err)
	}
	return nil
}

// Plan returns a rule's gated plan for a job.
func (s *Store) Plan(ctx context.Context, jobID, rule string) (model.HeldPlan, bool, error) {
	var h model.HeldPlan
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ok, err = get(nested(tx, bucketHeld, jobID), rule, &h)
		return err
	})
	if err != nil {
		return model.HeldPlan{}, false, fmt.Errorf("plan %s/%s: %w", jobID, rule, err)
	}
	return h, ok, nil
}

// Held lists a job's held plans, sorted by rule.
func (s *Store) Held(ctx context.Context, jobID string) ([]model.HeldPlan, error) {
	var all []model.HeldPlan
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		all, err = list[model.HeldPlan](nested(tx, bucketHeld, jobID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("held plans of job %s: %w", jobID, err)
	}
	var out []model.HeldPlan
	for _, h := range all {
		if h.IsHeld() {
			out = append(out, h)
		}
	}
	return out, nil
}
