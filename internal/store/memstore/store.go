// Package memstore is an in-memory groupsync store: an engine.Store made
// of maps behind one mutex, for tests of the engine and its runners. It
// applies the same internal/store rules as the bbolt and Firestore stores
// and passes internal/store/storetest. Values are kept as JSON, like
// bbolt keeps them, so callers never share memory with the store and an
// unchanged Put is recognised by its bytes.
package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store is an in-memory store. It is safe for concurrent use; the zero
// value is not, use New.
type Store struct {
	mu sync.Mutex
	// now is the clock of leases and job updates; tests may replace it.
	now    func() time.Time
	writes int64
	closed bool

	snapshots table // rule, group ID
	owned     table // rule, kind, source ID
	states    table // rule
	jobs      table // job ID
	results   table // job ID, rule, group ID
	runs      table // job ID, rule
	staged    table // job ID, rule, group ID
	plans     table // job ID, rule
	leases    table // key
}

// New returns an empty store on the system clock.
func New() *Store {
	return &Store{
		now:       time.Now,
		snapshots: table{}, owned: table{}, states: table{}, jobs: table{},
		results: table{}, runs: table{}, staged: table{}, plans: table{}, leases: table{},
	}
}

// SetClock replaces the clock that grants leases and stamps job updates,
// so tests of lease expiry and stuck jobs need not sleep.
func (s *Store) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Close makes later calls fail, as a closed file or client would.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Writes returns the number of calls that changed stored data.
func (s *Store) Writes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

var errClosed = errors.New("store is closed")

// errUnchanged ends a write that found nothing to change: nothing is
// counted.
var errUnchanged = errors.New("unchanged")

// update runs fn under the lock and counts it as a write unless it returns
// errUnchanged. fn changes tables only after every check has passed, so
// one that fails leaves nothing behind.
func (s *Store) update(ctx context.Context, fn func() error) error {
	return s.read(ctx, func() error {
		err := fn()
		if errors.Is(err, errUnchanged) {
			return nil
		}
		if err == nil {
			s.writes++
		}
		return err
	})
}

// read runs fn under the lock.
func (s *Store) read(ctx context.Context, fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return errClosed
	}
	return fn()
}

// table maps joined keys to JSON values.
type table map[string][]byte

// key joins key parts; no part contains the separator in practice, and
// prefix scans end each part with it, so "r1" never matches "r1x".
func key(parts ...string) string {
	return strings.Join(parts, "\x00")
}

func prefix(parts ...string) string {
	return key(parts...) + "\x00"
}

// get decodes the value under k into v; ok is false when there is none.
func (t table) get(k string, v any) (bool, error) {
	data, ok := t[k]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decode %q: %w", k, err)
	}
	return true, nil
}

// put stores v under k, reporting errUnchanged when the bytes are the same.
func (t table) put(k string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if old, ok := t[k]; ok && string(old) == string(data) {
		return errUnchanged
	}
	t[k] = data
	return nil
}

// del deletes k, reporting errUnchanged when it is absent.
func (t table) del(k string) error {
	if _, ok := t[k]; !ok {
		return errUnchanged
	}
	delete(t, k)
	return nil
}

// keys returns the keys starting with p, sorted.
func (t table) keys(p string) []string {
	var out []string
	for k := range t {
		if strings.HasPrefix(k, p) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// dropPrefix deletes the keys starting with p, reporting errUnchanged when
// there are none.
func (t table) dropPrefix(p string) error {
	ks := t.keys(p)
	for _, k := range ks {
		delete(t, k)
	}
	if len(ks) == 0 {
		return errUnchanged
	}
	return nil
}

// list decodes the values whose keys start with p, in key order.
func list[T any](t table, p string) ([]T, error) {
	ks := t.keys(p)
	out := make([]T, 0, len(ks))
	for _, k := range ks {
		var v T
		if _, err := t.get(k, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// lookup reads one value of t under the lock; ok is false when none.
func lookup[T any](ctx context.Context, s *Store, t table, k string) (v T, ok bool, err error) {
	err = s.read(ctx, func() (err error) {
		ok, err = t.get(k, &v)
		return err
	})
	return v, ok, err
}

// scan reads the values of t whose keys start with p, under the lock.
func scan[T any](ctx context.Context, s *Store, t table, p string) (out []T, err error) {
	err = s.read(ctx, func() (err error) {
		out, err = list[T](t, p)
		return err
	})
	return out, err
}

// changed folds errUnchanged results: true when any write changed data.
func changed(errs ...error) error {
	var real []error
	n := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, errUnchanged):
			n++
		case err != nil:
			real = append(real, err)
		}
	}
	if len(real) > 0 {
		return errors.Join(real...)
	}
	if n == len(errs) {
		return errUnchanged
	}
	return nil
}

func required(what, v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", what)
	}
	return nil
}
