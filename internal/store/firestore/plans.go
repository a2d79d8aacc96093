package firestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// Gated plans live in the held collection, which held plans had to
// themselves before gates existed; a plain decision field lets Held skip
// the others without decoding them.
func (s *Store) planRef(jobID, rule string) *firestore.DocumentRef {
	return s.jobRef(jobID).Collection(colHeld).Doc(docID(rule))
}

// PutPlan stores (or replaces) a rule's gated plan for a job.
func (s *Store) PutPlan(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("put plan %s/%s: %w", h.JobID, h.Rule, err) }
	ref := s.planRef(h.JobID, h.Rule)
	head, groups, users, err := store.SplitPlan(h)
	if err != nil {
		return wrap(err)
	}
	if err := s.putChunks(ctx, ref, head, groups, users); err != nil {
		return wrap(err)
	}
	err = s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		fields := map[string]any{
			"rule":     h.Rule,
			"decision": h.Decision,
			"created":  h.Created,
			"expires":  s.expires(h.Created),
			"gen":      head.Gen,
		}
		return setRecord(tx, ref, fields, head, partsOf(old))
	})
	if err != nil {
		return wrap(err)
	}
	if err := s.dropStaleChunks(ctx, ref, head.Gen); err != nil {
		return wrap(fmt.Errorf("drop earlier chunks: %w", err))
	}
	return nil
}

// Plan returns a rule's gated plan for a job; ok is false when none.
func (s *Store) Plan(ctx context.Context, jobID, rule string) (model.HeldPlan, bool, error) {
	var h model.HeldPlan
	var ok bool
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		doc, err := get(tx, s.planRef(jobID, rule))
		if err != nil || doc == nil {
			ok = false
			return err
		}
		heads, err := decodeRecords[store.PlanHead](tx.GetAll, []*firestore.DocumentSnapshot{doc})
		if err != nil {
			return err
		}
		h, err = loadPlan(tx, doc.Ref, heads[0])
		ok = err == nil
		return err
	})
	if err != nil {
		return model.HeldPlan{}, false, fmt.Errorf("plan %s/%s: %w", jobID, rule, err)
	}
	return h, ok, nil
}

// Held lists a job's held plans, sorted by rule.
func (s *Store) Held(ctx context.Context, jobID string) ([]model.HeldPlan, error) {
	var out []model.HeldPlan
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		docs, err := tx.Documents(s.jobRef(jobID).Collection(colHeld)).GetAll()
		if err != nil {
			return err
		}
		docs = slices.DeleteFunc(docs, func(doc *firestore.DocumentSnapshot) bool {
			// Plans stored before gates have no decision: they are held.
			v, _ := doc.DataAt("decision")
			decision, _ := v.(string)
			return !model.HeldPlan{Decision: decision}.IsHeld()
		})
		heads, err := decodeRecords[store.PlanHead](tx.GetAll, docs)
		if err != nil {
			return err
		}
		for i, head := range heads {
			h, err := loadPlan(tx, docs[i].Ref, head)
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("held plans of job %s: %w", jobID, err)
	}
	slices.SortFunc(out, func(a, b model.HeldPlan) int { return cmp.Compare(a.Rule, b.Rule) })
	return out, nil
}
