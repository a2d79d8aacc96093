package firestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
)

func (s *Store) heldRef(jobID, rule string) *firestore.DocumentRef {
	return s.jobRef(jobID).Collection(colHeld).Doc(docID(rule))
}

// PutHeld stores (or replaces) a rule's held plan for a job.
func (s *Store) PutHeld(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put held plan: %w", err)
	}
	ref := s.heldRef(h.JobID, h.Rule)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		oldParts := 0
		if old != nil {
			oldParts = partsOf(old)
		}
		fields := map[string]any{
			"rule":    h.Rule,
			"created": h.Created,
			"expires": s.expires(h.Created),
		}
		return setRecord(tx, ref, fields, h, oldParts)
	})
	if err != nil {
		return fmt.Errorf("put held plan %s/%s: %w", h.JobID, h.Rule, err)
	}
	return nil
}

// Held lists a job's held plans, sorted by rule.
func (s *Store) Held(ctx context.Context, jobID string) ([]model.HeldPlan, error) {
	var out []model.HeldPlan
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		docs, err := tx.Documents(s.jobRef(jobID).Collection(colHeld)).GetAll()
		if err != nil {
			return err
		}
		out, err = decodeRecords[model.HeldPlan](tx.GetAll, docs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("held plans of job %s: %w", jobID, err)
	}
	slices.SortFunc(out, func(a, b model.HeldPlan) int { return cmp.Compare(a.Rule, b.Rule) })
	return out, nil
}

// DeleteHeld deletes a held plan; a missing one is not an error.
func (s *Store) DeleteHeld(ctx context.Context, jobID, rule string) error {
	ref := s.heldRef(jobID, rule)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		if old == nil {
			return errUnchanged
		}
		return deleteRecord(tx, old)
	})
	if err != nil {
		return fmt.Errorf("delete held plan %s/%s: %w", jobID, rule, err)
	}
	return nil
}
