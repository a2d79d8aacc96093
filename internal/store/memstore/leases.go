package memstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/groupsync/groupsync/internal/store"
)

// AcquireLease takes key for holder until now+ttl, as store.Grant decides.
// Losing is not a write.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := errors.Join(required("lease key", key), required("lease holder", holder)); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	won := false
	err := s.update(ctx, func() error {
		var cur store.Lease
		if _, err := s.leases.get(key, &cur); err != nil {
			return err
		}
		l, ok := store.Grant(cur, key, holder, s.now(), ttl)
		won = ok
		if !ok {
			return errUnchanged
		}
		return s.leases.put(key, l)
	})
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	return won, nil
}

// ReleaseLease frees key if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	err := s.update(ctx, func() error {
		var cur store.Lease
		ok, err := s.leases.get(key, &cur)
		if err != nil {
			return err
		}
		if !ok || !store.Releases(cur, holder) {
			return errUnchanged
		}
		return s.leases.del(key)
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}

// Lease returns the stored lease of key; ok is false when none.
func (s *Store) Lease(ctx context.Context, key string) (store.Lease, bool, error) {
	l, ok, err := lookup[store.Lease](ctx, s, s.leases, key)
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease %s: %w", key, err)
	}
	return l, ok, nil
}
