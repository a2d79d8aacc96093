package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

const (
	keyJob = "job"
	// subGroups ("groups") also names a job's results bucket.
)

// timeKey orders jobs by start time, then ID. Flipping the sign bit makes
// big-endian byte order match signed order for times before 1970 too.
func timeKey(started time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(started.UnixNano())^(1<<63))
	return append(k, id...)
}

// loadJob reads a job inside tx; store.ErrNotFound when missing.
func loadJob(tx *bolt.Tx, id string) (*bolt.Bucket, model.Job, error) {
	b := nested(tx, bucketJobs, id)
	var j model.Job
	ok, err := get(b, keyJob, &j)
	if err != nil {
		return nil, model.Job{}, err
	}
	if !ok {
		return nil, model.Job{}, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	return b, j, nil
}

// CreateJob stores a new job. It fails if the ID is taken, so a retried
// dispatch cannot reset a running job's progress.
func (s *Store) CreateJob(ctx context.Context, j model.Job) error {
	if err := required("job ID", j.ID); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketJobs).Bucket([]byte(j.ID)) != nil {
			return store.ErrExists
		}
		b, err := create(tx, bucketJobs, j.ID)
		if err != nil {
			return err
		}
		if err := put(b, keyJob, j); err != nil {
			return err
		}
		return tx.Bucket(bucketJobTime).Put(timeKey(j.Started, j.ID), []byte(j.ID))
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// Job returns one job, or an error wrapping store.ErrNotFound.
func (s *Store) Job(ctx context.Context, id string) (model.Job, error) {
	var j model.Job
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		_, j, err = loadJob(tx, id)
		return err
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

// Jobs lists up to limit jobs, newest first by start time; limit <= 0
// means all.
func (s *Store) Jobs(ctx context.Context, limit int) ([]model.Job, error) {
	var out []model.Job
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobTime).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			_, j, err := loadJob(tx, string(v))
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// UpdateJob applies fn to the job inside a write transaction, so
// concurrent updates never lose each other's changes. An error from fn
// aborts the update and is returned wrapped.
func (s *Store) UpdateJob(ctx context.Context, id string, fn func(*model.Job) error) (model.Job, error) {
	var j model.Job
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, old, err := loadJob(tx, id)
		if err != nil {
			return err
		}
		j = old
		if err := fn(&j); err != nil {
			return err
		}
		j.ID = id // the key cannot move
		if !j.Started.Equal(old.Started) {
			idx := tx.Bucket(bucketJobTime)
			if err := idx.Delete(timeKey(old.Started, id)); err != nil {
				return err
			}
			if err := idx.Put(timeKey(j.Started, id), []byte(id)); err != nil {
				return err
			}
		}
		return put(b, keyJob, j)
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("update job %s: %w", id, err)
	}
	return j, nil
}

func resultKey(rule, groupID string) string {
	return rule + "\x00" + groupID
}

// RecordGroupResult stores a group's result and adds it to the job in one
// transaction. A result already stored for (job, rule, group) is left
// alone: first is false and the job is returned unchanged.
func (s *Store) RecordGroupResult(ctx context.Context, r model.GroupResult) (model.Job, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule), required("group ID", r.GroupID)); err != nil {
		return model.Job{}, false, fmt.Errorf("record group result: %w", err)
	}
	var j model.Job
	first := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, cur, err := loadJob(tx, r.JobID)
		if err != nil {
			return err
		}
		j = cur
		results, err := b.CreateBucketIfNotExists([]byte(subGroups))
		if err != nil {
			return err
		}
		key := resultKey(r.Rule, r.GroupID)
		if results.Get([]byte(key)) != nil {
			return errUnchanged
		}
		if err := put(results, key, r); err != nil {
			return err
		}
		store.MergeResult(&j, r, time.Now())
		first = true
		if err := put(b, keyJob, j); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
		return nil
	})
	if err != nil {
		return model.Job{}, false, fmt.Errorf("record result of %s/%s in job %s: %w", r.Rule, r.GroupID, r.JobID, err)
	}
	return j, first, nil
}

// CountResults counts a job's results for one rule.
func (s *Store) CountResults(ctx context.Context, jobID, rule string) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := nested(tx, bucketJobs, jobID, subGroups)
		if b == nil {
			return nil
		}
		prefix := []byte(rule + "\x00")
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count results of job %s: %w", jobID, err)
	}
	return n, nil
}

// GroupResults lists a job's results sorted by rule then group email. A
// missing job has no results.
func (s *Store) GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error) {
	var out []model.GroupResult
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[model.GroupResult](nested(tx, bucketJobs, jobID, subGroups))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results of job %s: %w", jobID, err)
	}
	slices.SortFunc(out, store.CompareResults)
	return out, nil
}
