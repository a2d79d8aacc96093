package firestore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

func (s *Store) runRef(jobID, rule string) *firestore.DocumentRef {
	return s.jobRef(jobID).Collection(colRuns).Doc(docID(rule))
}

// stagedRef is the document that counts a rule's staged reads; the reads
// are in its groups subcollection.
func (s *Store) stagedRef(jobID, rule string) *firestore.DocumentRef {
	return s.jobRef(jobID).Collection(colStaged).Doc(docID(rule))
}

func (s *Store) stagedReadRef(jobID, rule, groupID string) *firestore.DocumentRef {
	return s.stagedRef(jobID, rule).Collection(colGroups).Doc(docID(groupID))
}

func (s *Store) runFields(r model.RuleRun) map[string]any {
	// The head rides in a field beside the chunked record, so that the
	// per-group steps read one small document (RuleRunHead).
	head, _ := json.Marshal(r.Head())
	return map[string]any{
		"head":     string(head),
		"rule":     r.Rule,
		"gate":     r.Gate,
		"finished": r.Finished,
		"created":  r.Created,
		"expires":  s.expires(r.Created),
	}
}

// loadRun reads a rule run in tx; an error wrapping store.ErrNotFound when
// it does not exist.
func loadRun(tx *firestore.Transaction, ref *firestore.DocumentRef) (*firestore.DocumentSnapshot, model.RuleRun, error) {
	doc, err := get(tx, ref)
	if err != nil {
		return nil, model.RuleRun{}, err
	}
	if doc == nil {
		return nil, model.RuleRun{}, fmt.Errorf("run %s: %w", ref.Path, store.ErrNotFound)
	}
	runs, err := decodeRecords[model.RuleRun](tx.GetAll, []*firestore.DocumentSnapshot{doc})
	if err != nil {
		return nil, model.RuleRun{}, err
	}
	return doc, runs[0], nil
}

// CreateRuleRun stores r unless a run of (r.JobID, r.Rule) exists; it
// returns the stored run and whether this call created it.
func (s *Store) CreateRuleRun(ctx context.Context, r model.RuleRun) (model.RuleRun, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule)); err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create rule run: %w", err)
	}
	ref := s.runRef(r.JobID, r.Rule)
	var (
		out     model.RuleRun
		created bool
	)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		out, created = r, false
		_, old, err := loadRun(tx, ref)
		if err == nil {
			out = old
			return errUnchanged
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		created = true
		return setRecord(tx, ref, s.runFields(r), r, 0)
	})
	if err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create run %s/%s: %w", r.JobID, r.Rule, err)
	}
	return out, created, nil
}

// RuleRun returns one rule's run; the error wraps store.ErrNotFound if none.
func (s *Store) RuleRun(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		var err error
		_, r, err = loadRun(tx, s.runRef(jobID, rule))
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("get run %s/%s: %w", jobID, rule, err)
	}
	return r, nil
}

// RuleRunHead returns the run's Head from its head field, without the
// record's parts; a run stored before heads were kept is read whole.
func (s *Store) RuleRunHead(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	ref := s.runRef(jobID, rule)
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		doc, err := get(tx, ref)
		if err != nil {
			return err
		}
		if doc == nil {
			return fmt.Errorf("run %s: %w", ref.Path, store.ErrNotFound)
		}
		if head, ok := doc.Data()["head"].(string); ok {
			return json.Unmarshal([]byte(head), &r)
		}
		_, r, err = loadRun(tx, ref)
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("get run head %s/%s: %w", jobID, rule, err)
	}
	return r.Head(), nil
}

// UpdateRuleRun applies fn to a rule's run and its job in one transaction
// that reads and rewrites both; fn may run again when the transaction
// retries. The job's done and counts fields, which RecordGroupResult
// increments in place, are read in the same transaction, so the rewrite
// keeps every increment committed before it and conflicts with any that
// race it.
func (s *Store) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (model.RuleRun, model.Job, error) {
	jref, rref := s.jobRef(jobID), s.runRef(jobID, rule)
	// The job is the hot document: queue behind this process's other
	// updates of it rather than abort them.
	unlock := s.lock(jref.Path)
	defer unlock()
	var (
		r model.RuleRun
		j model.Job
	)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		rdoc, run, err := loadRun(tx, rref)
		if err != nil {
			return err
		}
		jdoc, job, err := loadJob(tx, jref)
		if err != nil {
			return fmt.Errorf("job %s: %w", jobID, err)
		}
		r, j = run, job
		if !fn(&run, &job) {
			return errUnchanged
		}
		job.ID, run.JobID, run.Rule = jobID, jobID, rule
		fields, err := s.jobFields(job)
		if err != nil {
			return err
		}
		if err := setRecord(tx, rref, s.runFields(run), run, partsOf(rdoc)); err != nil {
			return err
		}
		if err := setRecord(tx, jref, fields, job, partsOf(jdoc)); err != nil {
			return err
		}
		r, j = run, job
		return nil
	}, firestore.MaxAttempts(hotAttempts))
	if err != nil {
		return model.RuleRun{}, model.Job{}, fmt.Errorf("update run %s/%s: %w", jobID, rule, err)
	}
	return r, j, nil
}

// PutStaged stores a group's read unless one is staged, and returns how
// many groups of the rule are staged.
//
// Every read of a rule finishes at about the same time, so, as with
// RecordGroupResult, the transaction reads only the group's own document
// and adds to the rule's count with a server-side increment: reads of
// different groups never abort each other. The count is read after the
// commit, so the read that completes the rule always sees the total (one
// that finishes just before it may see it too).
func (s *Store) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (int, error) {
	if err := errors.Join(required("job ID", jobID), required("rule", rule), required("group ID", m.Group.ID)); err != nil {
		return 0, fmt.Errorf("stage group: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("stage %s/%s/%s: %w", jobID, rule, m.Group.ID, err) }
	cref, gref := s.stagedRef(jobID, rule), s.stagedReadRef(jobID, rule, m.Group.ID)
	unlock := s.lock(cref.Path)
	defer unlock()
	expires := s.expires(time.Time{})
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		prev, err := get(tx, gref)
		if err != nil {
			return err
		}
		if prev != nil {
			return errUnchanged
		}
		if err := setRecord(tx, gref, map[string]any{"group_id": m.Group.ID, "expires": expires}, m, 0); err != nil {
			return err
		}
		return tx.Set(cref, map[string]any{"rule": rule, "count": firestore.Increment(1), "expires": expires}, firestore.MergeAll)
	}, firestore.MaxAttempts(hotAttempts))
	if err != nil {
		return 0, wrap(err)
	}
	doc, err := cref.Get(ctx)
	if err != nil {
		return 0, wrap(err)
	}
	v, err := doc.DataAt("count")
	if err != nil {
		return 0, wrap(err)
	}
	n, _ := v.(int64)
	return int(n), nil
}

// Staged returns a job's staged reads for one rule, sorted by group ID.
func (s *Store) Staged(ctx context.Context, jobID, rule string) ([]model.Membership, error) {
	var out []model.Membership
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		docs, err := tx.Documents(s.stagedRef(jobID, rule).Collection(colGroups)).GetAll()
		if err != nil {
			return err
		}
		out, err = decodeRecords[model.Membership](tx.GetAll, docs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("staged groups of %s/%s: %w", jobID, rule, err)
	}
	// Document IDs are escaped, which can reorder them.
	slices.SortFunc(out, func(a, b model.Membership) int { return cmp.Compare(a.Group.ID, b.Group.ID) })
	return out, nil
}

// DropStaged deletes a job's staged reads for one rule, their parts and
// their count. A rule can stage more reads than one commit may hold, so
// they go in batches, and a drop that fails half way is finished by the
// next.
func (s *Store) DropStaged(ctx context.Context, jobID, rule string) error {
	wrap := func(err error) error { return fmt.Errorf("drop staged groups of %s/%s: %w", jobID, rule, err) }
	cref := s.stagedRef(jobID, rule)
	docs, err := cref.Collection(colGroups).Select(fieldParts).Documents(ctx).GetAll()
	if err != nil {
		return wrap(err)
	}
	if len(docs) == 0 {
		// Only a half-done drop leaves the count behind.
		if _, err := cref.Get(ctx); isNotFound(err) {
			return nil
		} else if err != nil {
			return wrap(err)
		}
	}
	refs := []*firestore.DocumentRef{cref}
	for _, doc := range docs {
		for n := range partsOf(doc) {
			refs = append(refs, partRef(doc.Ref, n))
		}
		refs = append(refs, doc.Ref)
	}
	if err := s.deleteAll(ctx, refs); err != nil {
		return wrap(err)
	}
	s.writes.Add(1)
	return nil
}

// deleteBatch bounds the deletes of one commit; tests lower it.
var deleteBatch = 400

// deleteAll deletes refs, a commit per deleteBatch of them.
func (s *Store) deleteAll(ctx context.Context, refs []*firestore.DocumentRef) error {
	for batch := range slices.Chunk(refs, deleteBatch) {
		err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			for _, ref := range batch {
				if err := tx.Delete(ref); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
