package bolt

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

const (
	stagedSuffix = ".staged"
	countSuffix  = ".staged-count"
	headSuffix   = ".head"
)

// CreateRuleRun stores r unless a run of (r.JobID, r.Rule) exists.
func (s *Store) CreateRuleRun(ctx context.Context, r model.RuleRun) (model.RuleRun, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule)); err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create rule run: %w", err)
	}
	out, created := r, false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketRuns, r.JobID)
		if err != nil {
			return err
		}
		ok, err := get(b, r.Rule, &out)
		if err != nil {
			return err
		}
		if ok {
			return errUnchanged
		}
		out, created = r, true
		return putRun(b, r)
	})
	if err != nil {
		return model.RuleRun{}, false, fmt.Errorf("create run %s/%s: %w", r.JobID, r.Rule, err)
	}
	return out, created, nil
}

// RuleRun returns one rule's run; the error wraps store.ErrNotFound.
func (s *Store) RuleRun(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ok, err := get(nested(tx, bucketRuns, jobID), rule, &r)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("run %s/%s: %w", jobID, rule, err)
	}
	return r, nil
}

// RuleRunHead returns the run's Head from its own key; a run stored
// before heads were kept is read whole.
func (s *Store) RuleRunHead(ctx context.Context, jobID, rule string) (model.RuleRun, error) {
	var r model.RuleRun
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := nested(tx, bucketRuns, jobID)
		ok, err := get(b, rule+headSuffix, &r)
		if err == nil && !ok {
			ok, err = get(b, rule, &r)
		}
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return model.RuleRun{}, fmt.Errorf("run %s/%s: %w", jobID, rule, err)
	}
	return r.Head(), nil
}

// putRun stores a run and, under its own key, its head.
func putRun(b *bolt.Bucket, r model.RuleRun) error {
	err := put(b, r.Rule, r)
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	if herr := put(b, r.Rule+headSuffix, r.Head()); herr != nil && !errors.Is(herr, errUnchanged) {
		return herr
	}
	return err
}

// UpdateRuleRun applies fn to a rule's run and its job in one transaction.
func (s *Store) UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (model.RuleRun, model.Job, error) {
	var (
		r model.RuleRun
		j model.Job
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rb := nested(tx, bucketRuns, jobID)
		ok, err := get(rb, rule, &r)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("run %s/%s: %w", jobID, rule, store.ErrNotFound)
		}
		jb, cur, err := loadJob(tx, jobID)
		if err != nil {
			return err
		}
		j = cur
		// fn works on copies: what it changed before returning false must
		// not be returned as if stored.
		nr, nj := r, j
		if !fn(&nr, &nj) {
			return errUnchanged
		}
		r, j = nr, nj
		j.ID, r.JobID, r.Rule = jobID, jobID, rule
		if err := putRun(rb, r); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
		if err := put(jb, keyJob, j); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
		return nil
	})
	if err != nil {
		return model.RuleRun{}, model.Job{}, fmt.Errorf("update run %s/%s: %w", jobID, rule, err)
	}
	return r, j, nil
}

// PutStaged stores a group's read, keeping the first, and counts the
// rule's staged groups. Reads finish together, so the writes are batched
// into shared transactions.
func (s *Store) PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (int, error) {
	if err := errors.Join(required("job ID", jobID), required("rule", rule), required("group ID", m.Group.ID)); err != nil {
		return 0, fmt.Errorf("stage group: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	wrote := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		runs, err := create(tx, bucketRuns, jobID)
		if err != nil {
			return err
		}
		b, err := runs.CreateBucketIfNotExists([]byte(rule + stagedSuffix))
		if err != nil {
			return err
		}
		wrote = false
		// A counter beside the bucket: counting keys would walk it.
		if _, err := get(runs, rule+countSuffix, &n); err != nil {
			return err
		}
		if b.Get([]byte(m.Group.ID)) != nil {
			return nil
		}
		if err := put(b, m.Group.ID, m); err != nil {
			return err
		}
		n++
		wrote = true
		return put(runs, rule+countSuffix, n)
	})
	if err != nil {
		return 0, fmt.Errorf("stage %s/%s/%s: %w", jobID, rule, m.Group.ID, err)
	}
	if wrote {
		s.writes.Add(1)
	}
	return n, nil
}

// Staged returns a job's staged reads for one rule, sorted by group ID.
func (s *Store) Staged(ctx context.Context, jobID, rule string) ([]model.Membership, error) {
	var out []model.Membership
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[model.Membership](nested(tx, bucketRuns, jobID, rule+stagedSuffix))
		// The gate holds every read at once: one copy of each user's ID.
		var in model.Interner
		in.Members(out)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("staged groups of %s/%s: %w", jobID, rule, err)
	}
	return out, nil
}

// DropStaged deletes a job's staged reads for one rule once it finished.
func (s *Store) DropStaged(ctx context.Context, jobID, rule string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		runs := nested(tx, bucketRuns, jobID)
		if runs == nil || runs.Bucket([]byte(rule+stagedSuffix)) == nil {
			return errUnchanged
		}
		if err := runs.Delete([]byte(rule + countSuffix)); err != nil {
			return err
		}
		return runs.DeleteBucket([]byte(rule + stagedSuffix))
	})
	if err != nil {
		return fmt.Errorf("drop staged groups of %s/%s: %w", jobID, rule, err)
	}
	return nil
}
