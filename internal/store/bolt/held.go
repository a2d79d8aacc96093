package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// A plan is stored in pieces (store.SplitPlan): its head under the
// rule's key, and the group plans and users to create in chunks in the
// bucket RULE.groups, each chunk written in a transaction of its own.
// Readers read the head and its chunks in one transaction.

const groupsSuffix = ".groups"

// PutPlan stores a rule's gated plan for a job, replacing any earlier one.
func (s *Store) PutPlan(ctx context.Context, h model.HeldPlan) error {
	if err := errors.Join(required("job ID", h.JobID), required("rule", h.Rule)); err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("put plan %s/%s: %w", h.JobID, h.Rule, err) }
	head, chunks, users, err := store.SplitPlan(h)
	if err != nil {
		return wrap(err)
	}
	gen := head.Gen
	putChunk := func(key string, v any) error {
		return s.update(ctx, func(tx *bolt.Tx) error {
			b, err := create(tx, bucketHeld, h.JobID, h.Rule+groupsSuffix)
			if err != nil {
				return err
			}
			return put(b, key, v)
		})
	}
	for i, c := range chunks {
		if err := putChunk(chunkKey(gen, i), c); err != nil {
			return wrap(err)
		}
	}
	for i, c := range users {
		if err := putChunk(userChunkKey(gen, i), c); err != nil {
			return wrap(err)
		}
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketHeld, h.JobID)
		if err != nil {
			return err
		}
		if err := put(b, h.Rule, head); err != nil {
			return err
		}
		return dropOtherChunks(b.Bucket([]byte(h.Rule+groupsSuffix)), gen)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

func chunkKey(gen string, i int) string     { return fmt.Sprintf("%s/%06d", gen, i) }
func userChunkKey(gen string, i int) string { return fmt.Sprintf("%s/u%06d", gen, i) }

// dropOtherChunks deletes the chunks of every generation but gen.
func dropOtherChunks(b *bolt.Bucket, gen string) error {
	if b == nil {
		return nil
	}
	var stale [][]byte
	prefix := []byte(gen + "/")
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !bytes.HasPrefix(k, prefix) {
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// loadPlan reads a head and its chunks in tx.
func loadPlan(tx *bolt.Tx, jobID string, head store.PlanHead) (model.HeldPlan, error) {
	h := head.HeldPlan
	if head.Gen == "" {
		return h, nil
	}
	b := nested(tx, bucketHeld, jobID, h.Rule+groupsSuffix)
	var in model.Interner
	for i := range head.Chunks {
		var groups []model.GroupPlan
		ok, err := get(b, chunkKey(head.Gen, i), &groups)
		if err != nil {
			return model.HeldPlan{}, err
		}
		if !ok {
			return model.HeldPlan{}, fmt.Errorf("chunk %d of %d is missing", i+1, head.Chunks)
		}
		in.GroupPlans(groups)
		h.Plan.Groups = append(h.Plan.Groups, groups...)
	}
	for i := range head.UserChunks {
		var users []model.User
		ok, err := get(b, userChunkKey(head.Gen, i), &users)
		if err != nil {
			return model.HeldPlan{}, err
		}
		if !ok {
			return model.HeldPlan{}, fmt.Errorf("user chunk %d of %d is missing", i+1, head.UserChunks)
		}
		h.Plan.CreateUsers = append(h.Plan.CreateUsers, users...)
	}
	return h, nil
}

// Plan returns a rule's gated plan for a job.
func (s *Store) Plan(ctx context.Context, jobID, rule string) (model.HeldPlan, bool, error) {
	var h model.HeldPlan
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var head store.PlanHead
		var err error
		if ok, err = get(nested(tx, bucketHeld, jobID), rule, &head); err != nil || !ok {
			return err
		}
		h, err = loadPlan(tx, jobID, head)
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
	err := s.view(ctx, func(tx *bolt.Tx) error {
		heads, err := list[store.PlanHead](nested(tx, bucketHeld, jobID))
		if err != nil {
			return err
		}
		for _, head := range heads {
			if !head.IsHeld() {
				continue
			}
			h, err := loadPlan(tx, jobID, head)
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
	return out, nil
}
