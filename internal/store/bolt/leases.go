package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// lease is the stored form of a lease.
type lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// AcquireLease takes key for holder until now+ttl. It succeeds when the
// key is free, expired, or already held by holder (renewal). Losing is not
// a write.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := required("lease key", key); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	won := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		now := s.now()
		var l lease
		ok, err := get(b, key, &l)
		if err != nil {
			return err
		}
		if ok && l.Holder != holder && now.Before(l.Expires) {
			return errUnchanged
		}
		data, err := json.Marshal(lease{Holder: holder, Expires: now.Add(ttl)})
		if err != nil {
			return err
		}
		won = true
		return b.Put([]byte(key), data)
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
		var l lease
		ok, err := get(b, key, &l)
		if err != nil {
			return err
		}
		if !ok || l.Holder != holder {
			return errUnchanged
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}
