package memstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/model"
)

// Snapshot returns the snapshot of one group; ok is false when none.
func (s *Store) Snapshot(ctx context.Context, rule, groupID string) (model.Snapshot, bool, error) {
	sn, ok, err := lookup[model.Snapshot](ctx, s, s.snapshots, key(rule, groupID))
	if err != nil {
		return model.Snapshot{}, false, fmt.Errorf("snapshot %s/%s: %w", rule, groupID, err)
	}
	return sn, ok, nil
}

// Snapshots returns every snapshot of a rule, sorted by group ID.
func (s *Store) Snapshots(ctx context.Context, rule string) ([]model.Snapshot, error) {
	out, err := scan[model.Snapshot](ctx, s, s.snapshots, prefix(rule))
	if err != nil {
		return nil, fmt.Errorf("snapshots of %s: %w", rule, err)
	}
	return out, nil
}

// PutSnapshot stores a snapshot; storing the same one again is no write.
func (s *Store) PutSnapshot(ctx context.Context, sn model.Snapshot) error {
	if err := errors.Join(required("rule", sn.Rule), required("group ID", sn.GroupID)); err != nil {
		return fmt.Errorf("put snapshot: %w", err)
	}
	err := s.update(ctx, func() error { return s.snapshots.put(key(sn.Rule, sn.GroupID), sn) })
	if err != nil {
		return fmt.Errorf("put snapshot %s/%s: %w", sn.Rule, sn.GroupID, err)
	}
	return nil
}

// DeleteSnapshot deletes a snapshot; a missing one is not an error.
func (s *Store) DeleteSnapshot(ctx context.Context, rule, groupID string) error {
	err := s.update(ctx, func() error { return s.snapshots.del(key(rule, groupID)) })
	if err != nil {
		return fmt.Errorf("delete snapshot %s/%s: %w", rule, groupID, err)
	}
	return nil
}

// Owned returns the ownership record of one object; ok false if none.
func (s *Store) Owned(ctx context.Context, rule, kind, sourceID string) (model.Owned, bool, error) {
	o, ok, err := lookup[model.Owned](ctx, s, s.owned, key(rule, kind, sourceID))
	if err != nil {
		return model.Owned{}, false, fmt.Errorf("owned %s %s/%s: %w", kind, rule, sourceID, err)
	}
	return o, ok, nil
}

// OwnedAll returns a rule's records of one kind, sorted by source ID.
func (s *Store) OwnedAll(ctx context.Context, rule, kind string) ([]model.Owned, error) {
	out, err := scan[model.Owned](ctx, s, s.owned, prefix(rule, kind))
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
	err := s.update(ctx, func() error { return s.owned.put(key(o.Rule, o.Kind, o.SourceID), o) })
	if err != nil {
		return fmt.Errorf("put owned %s %s/%s: %w", o.Kind, o.Rule, o.SourceID, err)
	}
	return nil
}

// DeleteOwned deletes an ownership record; a missing one is not an error.
func (s *Store) DeleteOwned(ctx context.Context, rule, kind, sourceID string) error {
	err := s.update(ctx, func() error { return s.owned.del(key(rule, kind, sourceID)) })
	if err != nil {
		return fmt.Errorf("delete owned %s %s/%s: %w", kind, rule, sourceID, err)
	}
	return nil
}

// RuleState returns a rule's bookkeeping; ok is false when none.
func (s *Store) RuleState(ctx context.Context, rule string) (model.RuleState, bool, error) {
	st, ok, err := lookup[model.RuleState](ctx, s, s.states, key(rule))
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
	err := s.update(ctx, func() error { return s.states.put(key(st.Rule), st) })
	if err != nil {
		return fmt.Errorf("put state of %s: %w", st.Rule, err)
	}
	return nil
}

// ForgetRule drops a rule's snapshots, ownership and state. Jobs, their
// records and leases stay: they are history, not the rule's link to a
// target.
func (s *Store) ForgetRule(ctx context.Context, rule string) error {
	err := s.update(ctx, func() error {
		return changed(s.snapshots.dropPrefix(prefix(rule)), s.owned.dropPrefix(prefix(rule)), s.states.del(key(rule)))
	})
	if err != nil {
		return fmt.Errorf("forget rule %s: %w", rule, err)
	}
	return nil
}
