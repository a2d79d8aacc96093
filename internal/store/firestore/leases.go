package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/store"
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

// loadLease reads a lease in tx; ok is false when there is none.
func loadLease(tx *firestore.Transaction, ref *firestore.DocumentRef) (l store.Lease, ok bool, err error) {
	doc, err := get(tx, ref)
	if err != nil || doc == nil {
		return store.Lease{}, false, err
	}
	l, err = decodeLease(doc)
	return l, err == nil, err
}

func decodeLease(doc *firestore.DocumentSnapshot) (store.Lease, error) {
	var d leaseDoc
	if err := doc.DataTo(&d); err != nil {
		return store.Lease{}, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
	}
	return store.Lease(d), nil
}

// AcquireLease takes key for holder until now+ttl, as store.Grant decides.
// Expiry uses this process's clock, so ttl must dwarf the clock skew
// between workers. Losing is not a write.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := errors.Join(required("lease key", key), required("lease holder", holder)); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	ref := s.leaseRef(key)
	var won bool
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		cur, _, err := loadLease(tx, ref)
		if err != nil {
			return err
		}
		l, ok := store.Grant(cur, key, holder, s.now(), ttl)
		won = ok
		if !ok {
			return errUnchanged
		}
		return tx.Set(ref, leaseDoc(l))
	}, firestore.MaxAttempts(hotAttempts))
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	return won, nil
}

// ReleaseLease frees key if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	ref := s.leaseRef(key)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		cur, ok, err := loadLease(tx, ref)
		if err != nil {
			return err
		}
		if !ok || !store.Releases(cur, holder) {
			return errUnchanged
		}
		return tx.Delete(ref)
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}

// Lease returns the stored lease of key; ok is false when none.
func (s *Store) Lease(ctx context.Context, key string) (store.Lease, bool, error) {
	doc, err := s.leaseRef(key).Get(ctx)
	if isNotFound(err) {
		return store.Lease{}, false, nil
	}
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease %s: %w", key, err)
	}
	l, err := decodeLease(doc)
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease %s: %w", key, err)
	}
	return l, true, nil
}
