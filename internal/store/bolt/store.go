// Package bolt is the local groupsync store: one bbolt file holding
// snapshots, ownership, rule state, jobs, held plans and leases as JSON,
// in buckets that mirror the Firestore layout:
//
//	rules/{rule}/groups/{groupID}          snapshot
//	rules/{rule}/owned/{kind}/{sourceID}   ownership record
//	rules/{rule}/state                     rule state (a key, not a bucket)
//	jobs/{jobID}/job                       job (a key)
//	jobs/{jobID}/groups/{rule}\x00{groupID} group result
//	jobtime/{started}{jobID}               index for newest-first listing
//	held/{jobID}/{rule}                    gated plan (held, passed, approved)
//	runs/{jobID}/{rule}                    rule run (a key)
//	runs/{jobID}/{rule}.staged/{groupID}   staged read of a group
//	leases/{key}                           holder and expiry
//
// bbolt allows one writer at a time, so every read-modify-write is a real
// transaction, and a second process opening the same file fails fast.
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Top-level buckets.
var (
	bucketRules   = []byte("rules")
	bucketJobs    = []byte("jobs")
	bucketJobTime = []byte("jobtime")
	bucketHeld    = []byte("held")
	bucketLeases  = []byte("leases")
	bucketRuns    = []byte("runs")
)

// lockTimeout is how long Open waits for another process to release the
// file. It is short: a second sync should fail, not queue.
var lockTimeout = 2 * time.Second

// errUnchanged rolls back a write transaction that found nothing to change,
// so it neither touches the file nor counts as a write.
var errUnchanged = errors.New("unchanged")

// Store is a groupsync store backed by a bbolt file. It is safe for
// concurrent use.
type Store struct {
	db     *bolt.DB
	writes atomic.Int64
	// now is the lease clock; tests replace it.
	now func() time.Time
}

// Open opens the store at path, creating the file and its parent
// directories if needed. It fails after a short wait if another process
// has the file open.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// The freelist is rebuilt on open instead of written by every commit
	// (as etcd does): with a large store it is a big part of each write.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: store is locked by another groupsync process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRules, bucketJobs, bucketJobTime, bucketHeld, bucketLeases, bucketRuns} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: create buckets: %w", path, err)
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the file, releasing the lock.
func (s *Store) Close() error {
	return s.db.Close()
}

// Writes returns the number of committed write transactions that changed
// data since Open. Tests use it to prove that an unchanged group costs
// nothing.
func (s *Store) Writes() int64 {
	return s.writes.Load()
}

// update runs fn in a write transaction. fn returns errUnchanged to roll
// back without counting a write.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(fn)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return err
	}
	s.writes.Add(1)
	return nil
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// put stores v under key, reporting errUnchanged when the stored bytes are
// already the same.
func put(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if old := b.Get([]byte(key)); old != nil && string(old) == string(data) {
		return errUnchanged
	}
	return b.Put([]byte(key), data)
}

// get decodes the value under key into v; ok is false when there is none.
func get(b *bolt.Bucket, key string, v any) (ok bool, err error) {
	if b == nil {
		return false, nil
	}
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// del deletes key, reporting errUnchanged when it is absent.
func del(b *bolt.Bucket, key string) error {
	if b == nil || b.Get([]byte(key)) == nil {
		return errUnchanged
	}
	return b.Delete([]byte(key))
}

// nested walks down from a top-level bucket; it returns nil if any level
// is missing.
func nested(tx *bolt.Tx, top []byte, names ...string) *bolt.Bucket {
	b := tx.Bucket(top)
	for _, n := range names {
		if b == nil {
			return nil
		}
		b = b.Bucket([]byte(n))
	}
	return b
}

// create walks down from a top-level bucket, creating missing levels.
func create(tx *bolt.Tx, top []byte, names ...string) (*bolt.Bucket, error) {
	b := tx.Bucket(top)
	for _, n := range names {
		var err error
		if b, err = b.CreateBucketIfNotExists([]byte(n)); err != nil {
			return nil, fmt.Errorf("bucket %q: %w", n, err)
		}
	}
	return b, nil
}

// list decodes every value of b in key order.
func list[T any](b *bolt.Bucket) ([]T, error) {
	if b == nil {
		return nil, nil
	}
	var out []T
	err := b.ForEach(func(k, v []byte) error {
		if v == nil { // a nested bucket
			return nil
		}
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("decode %q: %w", k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// required rejects empty key parts, which bbolt cannot store and which
// would only come from a bug upstream.
func required(what, v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", what)
	}
	return nil
}
