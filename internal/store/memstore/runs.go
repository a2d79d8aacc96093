package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// CreateRuleRun stores r unless a run of (r.JobID, r.Rule) exists; it
// returns the stored run and whether this call created it.
func (s *Store) CreateRuleRun(ctx context.Context, r model.RuleRun) (model.RuleRun, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule)); err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create rule run: %w", err)
	}
	out, created := r, false
	err := s.update(ctx, func() error {
		ok, err := s.runs.get(key(r.JobID, r.Rule), &out)
		if err != nil || ok {
			return cmp.Or(err, errUnchanged)
		}
		created = true
		return s.putRun(r)
	})
	if err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create run %s/%s: %w", r.JobID, r.Rule, err)
	}
	return out, created, nil
}

// loadRun decodes a run; the error wraps store.ErrNotFound when missing.
func (s *Store) loadRun(jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	ok, err := s.runs.get(key(jobID, rule), &r)
	if err != nil {
		return model.RuleRun{}, err
	}
	if !ok {
		return model.RuleRun{}, fmt.Errorf("run %s/%s: %w", jobID, rule, store.ErrNotFound)
	}
	return r, nil
}

// RuleRun returns one rule's run; the error wraps store.ErrNotFound.
func (s *Store) RuleRun(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	err := s.read(ctx, func() (err error) {
		r, err = s.loadRun(jobID, rule)
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("get run: %w", err)
	}
	return r, nil
}

// RuleRunHead returns the run's Head, kept under its own key as the
// other stores keep it.
func (s *Store) RuleRunHead(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	err := s.read(ctx, func() error {
		ok, err := s.runs.get(key(jobID, rule, "head"), &r)
		if err == nil && !ok {
			err = fmt.Errorf("run %s/%s: %w", jobID, rule, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("get run head: %w", err)
	}
	return r, nil
}

// putRun stores a run and its head.
func (s *Store) putRun(r model.RuleRun) error {
	return changed(s.runs.put(key(r.JobID, r.Rule), r), s.runs.put(key(r.JobID, r.Rule, "head"), r.Head()))
}

// UpdateRuleRun applies fn to a rule's run and its job under the lock; fn
// returning false writes nothing, and the stored values are returned.
func (s *Store) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (model.RuleRun, model.Job, error) {
	var (
		r model.RuleRun
		j model.Job
	)
	err := s.update(ctx, func() error {
		var err error
		if r, err = s.loadRun(jobID, rule); err != nil {
			return err
		}
		if j, err = s.loadJob(jobID); err != nil {
			return err
		}
		nr, nj := r, j
		if !fn(&nr, &nj) {
			return errUnchanged
		}
		r, j = nr, nj
		j.ID, r.JobID, r.Rule = jobID, jobID, rule
		return changed(s.putRun(r), s.jobs.put(key(jobID), j))
	})
	if err != nil {
		return model.RuleRun{}, model.Job{}, fmt.Errorf("update run %s/%s: %w", jobID, rule, err)
	}
	return r, j, nil
}

// PutStaged stores a group's read unless one is staged, and returns how
// many groups of the rule are staged.
func (s *Store) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (int, error) {
	if err := errors.Join(required("job ID", jobID), required("rule", rule), required("group ID", m.Group.ID)); err != nil {
		return 0, fmt.Errorf("stage group: %w", err)
	}
	n := 0
	err := s.update(ctx, func() error {
		k := key(jobID, rule, m.Group.ID)
		_, had := s.staged[k]
		if !had {
			if err := s.staged.put(k, m); err != nil {
				return err
			}
		}
		n = len(s.staged.keys(prefix(jobID, rule)))
		if had {
			return errUnchanged
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage %s/%s/%s: %w", jobID, rule, m.Group.ID, err)
	}
	return n, nil
}

// Staged returns a job's staged reads for one rule, sorted by group ID.
func (s *Store) Staged(ctx context.Context, jobID, rule string) ([]model.Membership, error) {
	out, err := scan[model.Membership](ctx, s, s.staged, prefix(jobID, rule))
	if err != nil {
		return nil, fmt.Errorf("staged groups of %s/%s: %w", jobID, rule, err)
	}
	return out, nil
}

// DropStaged deletes a job's staged reads for one rule.
func (s *Store) DropStaged(ctx context.Context, jobID, rule string) error {
	err := s.update(ctx, func() error { return s.staged.dropPrefix(prefix(jobID, rule)) })
	if err != nil {
		return fmt.Errorf("drop staged groups of %s/%s: %w", jobID, rule, err)
	}
	return nil
}

// PutPlan stores (or replaces) a rule's gated plan for a job.
func (s *Store) PutPlan(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	err := s.update(ctx, func() error { return s.plans.put(key(h.JobID, h.Rule), h) })
	if err != nil {
		return fmt.Errorf("put plan %s/%s: %w", h.JobID, h.Rule, err)
	}
	return nil
}

// Plan returns a rule's gated plan; ok is false when none.
func (s *Store) Plan(ctx context.Context, jobID, rule string) (model.HeldPlan, bool, error) {
	h, ok, err := lookup[model.HeldPlan](ctx, s, s.plans, key(jobID, rule))
	if err != nil {
		return model.HeldPlan{}, false, fmt.Errorf("plan %s/%s: %w", jobID, rule, err)
	}
	return h, ok, nil
}

// Held lists a job's held plans, sorted by rule.
func (s *Store) Held(ctx context.Context, jobID string) ([]model.HeldPlan, error) {
	all, err := scan[model.HeldPlan](ctx, s, s.plans, prefix(jobID))
	if err != nil {
		return nil, fmt.Errorf("held plans of job %s: %w", jobID, err)
	}
	return slices.DeleteFunc(all, func(h model.HeldPlan) bool { return !h.IsHeld() }), nil
}
