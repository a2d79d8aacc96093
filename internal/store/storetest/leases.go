package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
)

func acquire(t *testing.T, s engine.Store, key, holder string, ttl time.Duration) bool {
	t.Helper()
	ok, err := s.AcquireLease(t.Context(), key, holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %s): %v", key, holder, err)
	}
	return ok
}

func testLeaseAcquireRelease(t *testing.T, s engine.Store) {
	ctx := t.Context()
	const ttl = time.Hour
	if !acquire(t, s, "r1:g1", "a", ttl) {
		t.Fatal("AcquireLease of a free key = false")
	}
	if acquire(t, s, "r1:g1", "b", ttl) {
		t.Error("AcquireLease of a key held by another = true")
	}
	if !acquire(t, s, "r1:g1", "a", ttl) {
		t.Error("AcquireLease renewal by the holder = false")
	}
	if !acquire(t, s, "r1:g2", "b", ttl) {
		t.Error("AcquireLease of another free key = false")
	}

	// Only the holder can release.
	must(t, "ReleaseLease (not holder)", s.ReleaseLease(ctx, "r1:g1", "b"))
	if acquire(t, s, "r1:g1", "b", ttl) {
		t.Error("AcquireLease after release by a non-holder = true")
	}
	must(t, "ReleaseLease", s.ReleaseLease(ctx, "r1:g1", "a"))
	if !acquire(t, s, "r1:g1", "b", ttl) {
		t.Error("AcquireLease after release by the holder = false")
	}
	must(t, "ReleaseLease (free key)", s.ReleaseLease(ctx, "r9:g9", "a"))
}

// testLeaseExpiry polls rather than sleeping for exactly the ttl, so a slow
// machine cannot make it fail; it fails only if the lease never expires.
func testLeaseExpiry(t *testing.T, s engine.Store) {
	const ttl = 50 * time.Millisecond
	if !acquire(t, s, "k", "a", ttl) {
		t.Fatal("AcquireLease of a free key = false")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !acquire(t, s, "k", "b", ttl) {
		if time.Now().After(deadline) {
			t.Fatalf("lease with ttl %v still held by another holder after 10s", ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// b holds it now with a long ttl: a must not get it back.
	if !acquire(t, s, "k", "b", time.Hour) {
		t.Fatal("renewal by the new holder = false")
	}
	if acquire(t, s, "k", "a", time.Hour) {
		t.Error("AcquireLease by the old holder after takeover = true")
	}
}

func testLeaseConcurrent(t *testing.T, s engine.Store) {
	ctx := t.Context()
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	for i := range n {
		wg.Go(func() {
			holder := fmt.Sprintf("h%d", i)
			ok, err := s.AcquireLease(ctx, "r1:g1", holder, time.Hour)
			if err != nil {
				t.Errorf("AcquireLease(%s): %v", holder, err)
				return
			}
			if ok {
				mu.Lock()
				winners = append(winners, holder)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Errorf("%d concurrent AcquireLease calls: winners %v, want exactly one", n, winners)
	}
}

func testLease(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if l, ok, err := s.Lease(ctx, "r1:g1"); err != nil || ok {
		t.Fatalf("Lease of empty store = %+v, ok %v, err %v; want none", l, ok, err)
	}
	before := time.Now()
	if !acquire(t, s, "r1:g1", "a", time.Hour) {
		t.Fatal("AcquireLease of a free key = false")
	}
	after := time.Now()
	acquire(t, s, "r1:g2", "b", time.Minute)
	l, ok, err := s.Lease(ctx, "r1:g1")
	must(t, "Lease", err)
	if !ok {
		t.Fatal("Lease: ok = false after AcquireLease")
	}
	// Firestore keeps microseconds.
	lo, hi := before.Add(time.Hour).Add(-time.Microsecond), after.Add(time.Hour).Add(time.Microsecond)
	if l.Key != "r1:g1" || l.Holder != "a" || l.Expires.Before(lo) || l.Expires.After(hi) {
		t.Errorf("Lease = %+v; want key r1:g1, holder a, expiry between %v and %v", l, lo, hi)
	}
	if !l.Held(after) {
		t.Errorf("Lease %+v is not held right after AcquireLease", l)
	}
	must(t, "ReleaseLease", s.ReleaseLease(ctx, "r1:g1", "a"))
	if l, ok, err := s.Lease(ctx, "r1:g1"); err != nil || (ok && l.Held(time.Now())) {
		t.Errorf("Lease after release = %+v, ok %v, err %v; want none", l, ok, err)
	}
	if l, ok, err := s.Lease(ctx, "r1:g2"); err != nil || !ok || l.Holder != "b" {
		t.Errorf("Lease(r1:g2) after releasing r1:g1 = %+v, ok %v, err %v; want holder b", l, ok, err)
	}
}
