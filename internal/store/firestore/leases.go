package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
)

// leaseDoc is a lease. The TTL policy on expires removes abandoned leases;
// correctness never depends on it, since an expired lease is free anyway.
type leaseDoc struct {
	Key     string    `firestore:"key"`
	Holder  string    `firestore:"holder"`
	Expires time.Time `firestore:"expires"`
}

func (s *Store) leaseRef(key string) *firestore.DocumentRef {
	return s.c.Collection(colLeases).Doc(docID(key))
}

// AcquireLease takes key for holder until now+ttl. It succeeds when the key
// is free, expired, or already held by holder (renewal). Expiry uses this
// process's clock, so ttl must dwarf the clock skew between workers.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := errors.Join(required("lease key", key), required("lease holder", holder)); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	ref := s.leaseRef(key)
	var ok bool
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		ok = false
		now := s.now()
		doc, err := get(tx, ref)
		if err != nil {
			return err
		}
		if doc != nil {
			var l leaseDoc
			if err := doc.DataTo(&l); err != nil {
				return fmt.Errorf("decode %s: %w", ref.Path, err)
			}
			if l.Holder != holder && now.Before(l.Expires) {
				return errUnchanged
			}
		}
		ok = true
		return tx.Set(ref, leaseDoc{Key: key, Holder: holder, Expires: now.Add(ttl)})
	}, firestore.MaxAttempts(hotAttempts))
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	return ok, nil
}

// ReleaseLease frees key if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	ref := s.leaseRef(key)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		doc, err := get(tx, ref)
		if err != nil {
			return err
		}
		if doc == nil {
			return errUnchanged
		}
		var l leaseDoc
		if err := doc.DataTo(&l); err != nil {
			return fmt.Errorf("decode %s: %w", ref.Path, err)
		}
		if l.Holder != holder {
			return errUnchanged
		}
		return tx.Delete(ref)
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}
