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

// loadJob decodes a job; the error wraps store.ErrNotFound when missing.
func (s *Store) loadJob(id string) (model.Job, error) {
	var j model.Job
	ok, err := s.jobs.get(key(id), &j)
	if err != nil {
		return model.Job{}, err
	}
	if !ok {
		return model.Job{}, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	return j, nil
}

// CreateJob stores a new job; the error wraps store.ErrExists when the ID
// is taken, so a retried dispatch cannot reset a running job.
func (s *Store) CreateJob(ctx context.Context, j model.Job) error {
	if err := required("job ID", j.ID); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	err := s.update(ctx, func() error {
		if _, ok := s.jobs[key(j.ID)]; ok {
			return store.ErrExists
		}
		return s.jobs.put(key(j.ID), j)
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// Job returns one job, or an error wrapping store.ErrNotFound.
func (s *Store) Job(ctx context.Context, id string) (model.Job, error) {
	var j model.Job
	err := s.read(ctx, func() (err error) {
		j, err = s.loadJob(id)
		return err
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

// Jobs lists up to limit jobs, newest first by start time, then ID; limit
// <= 0 means all.
func (s *Store) Jobs(ctx context.Context, limit int) ([]model.Job, error) {
	var out []model.Job
	err := s.read(ctx, func() (err error) {
		out, err = list[model.Job](s.jobs, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	slices.SortFunc(out, func(a, b model.Job) int {
		return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(b.ID, a.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// UpdateJob applies fn to the job under the lock. An error from fn aborts
// the update and is returned wrapped; an fn that changes nothing writes
// nothing.
func (s *Store) UpdateJob(ctx context.Context, id string, fn func(*model.Job) error) (model.Job, error) {
	var j model.Job
	err := s.update(ctx, func() error {
		var err error
		if j, err = s.loadJob(id); err != nil {
			return err
		}
		if err := fn(&j); err != nil {
			return err
		}
		j.ID = id // the key cannot move
		return s.jobs.put(key(id), j)
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("update job %s: %w", id, err)
	}
	return j, nil
}

// RecordGroupResult stores a group's result and merges it into its job
// (store.MergeResult). A result already stored for (job, rule, group) is
// left alone: first is false and the job is returned unchanged.
func (s *Store) RecordGroupResult(ctx context.Context, r model.GroupResult) (model.Job, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule), required("group ID", r.GroupID)); err != nil {
		return model.Job{}, false, fmt.Errorf("record group result: %w", err)
	}
	var j model.Job
	first := false
	err := s.update(ctx, func() error {
		var err error
		if j, err = s.loadJob(r.JobID); err != nil {
			return err
		}
		k := key(r.JobID, r.Rule, r.GroupID)
		if _, ok := s.results[k]; ok {
			return errUnchanged
		}
		store.MergeResult(&j, r, s.now())
		first = true
		return changed(s.results.put(k, r), s.jobs.put(key(r.JobID), j))
	})
	if err != nil {
		return model.Job{}, false, fmt.Errorf("record result of %s/%s in job %s: %w", r.Rule, r.GroupID, r.JobID, err)
	}
	return j, first, nil
}

// GroupResults lists a job's results sorted by rule then group email.
func (s *Store) GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error) {
	out, err := scan[model.GroupResult](ctx, s, s.results, prefix(jobID))
	if err != nil {
		return nil, fmt.Errorf("results of job %s: %w", jobID, err)
	}
	slices.SortFunc(out, store.CompareResults)
	return out, nil
}

// CountResults counts a job's results for one rule.
func (s *Store) CountResults(ctx context.Context, jobID, rule string) (int, error) {
	n := 0
	err := s.read(ctx, func() error {
		n = len(s.results.keys(prefix(jobID, rule)))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count results of job %s: %w", jobID, err)
	}
	return n, nil
}
