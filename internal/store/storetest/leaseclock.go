package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/store"
)

// RunLeaseClock drives lease grants with an injected clock, following
// store.Grant: a lease is held up to its expiry and free from then on, a
// holder's renewal extends it, and another holder can neither take nor
// release a live one. open returns a fresh store and a function that
// replaces the store's clock.
func RunLeaseClock(t *testing.T, open func(t *testing.T) (engine.Store, func(now func() time.Time))) {
	t.Helper()
	ctx := t.Context()
	s, setClock := open(t)
	t.Cleanup(func() { s.Close() })
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	setClock(func() time.Time { return now })

	const ttl = time.Minute
	lease := func(holder string, expires time.Duration) store.Lease {
		return store.Lease{Key: "k", Holder: holder, Expires: start.Add(expires)}
	}
	steps := []struct {
		at      time.Duration
		holder  string
		release bool // release instead of acquire
		granted bool
		want    store.Lease
	}{
		{at: 0, holder: "a", granted: true, want: lease("a", ttl)},
		{at: 0, holder: "b", want: lease("a", ttl)},
		{at: 30 * time.Second, holder: "a", granted: true, want: lease("a", 90*time.Second)},
		// Free at +1m had the renewal not extended it.
		{at: time.Minute, holder: "b", want: lease("a", 90*time.Second)},
		// Microseconds: the precision Firestore keeps.
		{at: 90*time.Second - time.Microsecond, holder: "b", want: lease("a", 90*time.Second)},
		{at: 90 * time.Second, holder: "b", granted: true, want: lease("b", 150*time.Second)},
		{at: 90 * time.Second, holder: "a", want: lease("b", 150*time.Second)},
		{at: 100 * time.Second, holder: "a", release: true, want: lease("b", 150*time.Second)},
		// Expired and not released: anyone may take it.
		{at: 200 * time.Second, holder: "a", granted: true, want: lease("a", 260*time.Second)},
	}
	for _, st := range steps {
		now = start.Add(st.at)
		if st.release {
			must(t, "ReleaseLease", s.ReleaseLease(ctx, "k", st.holder))
		} else {
			ok, err := s.AcquireLease(ctx, "k", st.holder, ttl)
			if err != nil {
				t.Fatalf("AcquireLease(%s) at +%v: %v", st.holder, st.at, err)
			}
			if ok != st.granted {
				t.Errorf("AcquireLease(%s) at +%v = %v, want %v", st.holder, st.at, ok, st.granted)
			}
		}
		got, ok, err := s.Lease(ctx, "k")
		if err != nil || !ok {
			t.Fatalf("Lease at +%v = ok %v, err %v; want true, nil", st.at, ok, err)
		}
		if diff := cmp.Diff(st.want, got, cmpOpts...); diff != "" {
			t.Errorf("Lease after %s at +%v mismatch (-want +got):\n%s", st.holder, st.at, diff)
		}
	}
	must(t, "ReleaseLease", s.ReleaseLease(ctx, "k", "a"))
	if got, ok, err := s.Lease(ctx, "k"); err != nil || ok {
		t.Errorf("Lease after release = %+v, ok %v, err %v; want none", got, ok, err)
	}
}
