package bolt

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/groupsync/groupsync/internal/model"
)

const (
	subGroups = "groups"
	subOwned  = "owned"
	keyState  = "state"
)

// Snapshot returns the snapshot of one group; ok is false when none.
func (s *Store) Snapshot(ctx context.Context, rule, groupID string) (model.Snapshot, bool, error) {
	var sn model.Snapshot
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ok, err = get(nested(tx, bucketRules, rule, subGroups), groupID, &sn)
		return err
	})
	if err != nil {
		return model.Snapshot{}, false, fmt.Errorf("snapshot %s/%s: %w", rule, groupID, err)
	}
	return sn, ok, nil
}

// Snapshots returns every snapshot of a rule, sorted by group ID.
func (s *Store) Snapshots(ctx context.Context, rule string) ([]model.Snapshot, error) {
	var out []model.Snapshot
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[model.Snapshot](nested(tx, bucketRules, rule, subGroups))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("snapshots of %s: %w", rule, err)
	}
	return out, nil
}

// PutSnapshot stores a snapshot. Storing the same snapshot again is not a
// write.
func (s *Store) PutSnapshot(ctx context.Context, sn model.Snapshot) error {
	if err := errors.Join(required("rule", sn.Rule), required("group ID", sn.GroupID)); err != nil {
		return fmt.Errorf("put snapshot: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketRules, sn.Rule, subGroups)
		if err != nil {
			return err
		}
		return put(b, sn.GroupID, sn)
	})
	if err != nil {
		return fmt.Errorf("put snapshot %s/%s: %w", sn.Rule, sn.GroupID, err)
	}
	return nil
}

// DeleteSnapshot deletes a snapshot; deleting a missing one is not an
// error.
func (s *Store) DeleteSnapshot(ctx context.Context, rule, groupID string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		return del(nested(tx, bucketRules, rule, subGroups), groupID)
	})
	if err != nil {
		return fmt.Errorf("delete snapshot %s/%s: %w", rule, groupID, err)
	}
	return nil
}

// Owned returns the ownership record of one object; ok false if none.
func (s *Store) Owned(ctx context.Context, rule, kind, sourceID string) (model.Owned, bool, error) {
	var o model.Owned
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ok, err = get(nested(tx, bucketRules, rule, subOwned, kind), sourceID, &o)
		return err
	})
	if err != nil {
		return model.Owned{}, false, fmt.Errorf("owned %s %s/%s: %w", kind, rule, sourceID, err)
	}
	return o, ok, nil
}

// OwnedAll returns a rule's records of one kind, sorted by source ID.
func (s *Store) OwnedAll(ctx context.Context, rule, kind string) ([]model.Owned, error) {
	var out []model.Owned
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[model.Owned](nested(tx, bucketRules, rule, subOwned, kind))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("owned %ss of %s: %w", kind, rule, err)
	}
	return out, nil
}

// PutOwned stores an ownership record.
func (s *Store) PutOwned(ctx context.Context, o model.Owned) error {
	if err := errors.Join(required("rule", o.Rule), required("kind", o.Kind), required("source ID", o.SourceID)); err != nil {
		return fmt.Errorf("put owned: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketRules, o.Rule, subOwned, o.Kind)
		if err != nil {
			return err
		}
		return put(b, o.SourceID, o)
	})
	if err != nil {
		return fmt.Errorf("put owned %s %s/%s: %w", o.Kind, o.Rule, o.SourceID, err)
	}
	return nil
}

// PutOwnedBatch stores ownership records in one transaction: the users
// a SCIM Bulk request created are recorded with one commit, not one each.
func (s *Store) PutOwnedBatch(ctx context.Context, os []model.Owned) error {
	for _, o := range os {
		if err := errors.Join(required("rule", o.Rule), required("kind", o.Kind), required("source ID", o.SourceID)); err != nil {
			return fmt.Errorf("put owned: %w", err)
		}
	}
	if len(os) == 0 {
		return nil
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		changed := false
		for _, o := range os {
			b, err := create(tx, bucketRules, o.Rule, subOwned, o.Kind)
			if err != nil {
				return err
			}
			// A batch is a run of neighbouring IDs: split pages full, not
			// half full, or a first sync's records take twice the pages.
			b.FillPercent = 0.95
			switch err := put(b, o.SourceID, o); {
			case err == nil:
				changed = true
			case !errors.Is(err, errUnchanged):
				return err
			}
		}
		if !changed {
			return errUnchanged
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d owned records: %w", len(os), err)
	}
	return nil
}

// DeleteOwned deletes an ownership record; deleting a missing one is not
// an error.
func (s *Store) DeleteOwned(ctx context.Context, rule, kind, sourceID string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		return del(nested(tx, bucketRules, rule, subOwned, kind), sourceID)
	})
	if err != nil {
		return fmt.Errorf("delete owned %s %s/%s: %w", kind, rule, sourceID, err)
	}
	return nil
}

// RuleState returns a rule's bookkeeping; ok is false when none.
func (s *Store) RuleState(ctx context.Context, rule string) (model.RuleState, bool, error) {
	var st model.RuleState
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ok, err = get(nested(tx, bucketRules, rule), keyState, &st)
		return err
	})
	if err != nil {
		return model.RuleState{}, false, fmt.Errorf("state of %s: %w", rule, err)
	}
	return st, ok, nil
}

// PutRuleState stores a rule's bookkeeping.
func (s *Store) PutRuleState(ctx context.Context, st model.RuleState) error {
	if err := required("rule", st.Rule); err != nil {
		return fmt.Errorf("put rule state: %w", err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketRules, st.Rule)
		if err != nil {
			return err
		}
		return put(b, keyState, st)
	})
	if err != nil {
		return fmt.Errorf("put state of %s: %w", st.Rule, err)
	}
	return nil
}

// ForgetRule drops a rule's snapshots, ownership and state. Jobs, held
// plans and leases stay: they are history, not the rule's link to a target.
func (s *Store) ForgetRule(ctx context.Context, rule string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if rule == "" {
			return errUnchanged
		}
		err := tx.Bucket(bucketRules).DeleteBucket([]byte(rule))
		if errors.Is(err, bolterrors.ErrBucketNotFound) {
			return errUnchanged
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("forget rule %s: %w", rule, err)
	}
	return nil
}
