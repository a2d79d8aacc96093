package bolt

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/store"
)

// AcquireLease takes key for holder until now+ttl, as store.Grant decides.
// Losing is not a write.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := required("lease key", key); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	if err := required("lease holder", holder); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	won := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		var cur store.Lease
		if _, err := get(b, key, &cur); err != nil {
			return err
		}
		l, ok := store.Grant(cur, key, holder, s.now(), ttl)
		won = ok
		if !ok {
			return errUnchanged
		}
		return put(b, key, l)
	})
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	return won, nil
}

// ReleaseLease frees key if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		var cur store.Lease
		ok, err := get(b, key, &cur)
		if err != nil {
			return err
		}
		if !ok || !store.Releases(cur, holder) {
			return errUnchanged
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}

// Lease returns the stored lease of key.
func (s *Store) Lease(ctx context.Context, key string) (store.Lease, bool, error) {
	var l store.Lease
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ok, err = get(tx.Bucket(bucketLeases), key, &l)
		return err
	})
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease %s: %w", key, err)
	}
	if ok && l.Key == "" {
		l.Key = key
	}
	return l, ok, nil
}
