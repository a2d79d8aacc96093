package storetest

import (
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
)

// RunLeaseClock drives lease expiry with an injected clock: a lease is held
// up to its expiry and free from then on. open returns a fresh store and a
// function that replaces the store's clock.
func RunLeaseClock(t *testing.T, open func(t *testing.T) (engine.Store, func(now func() time.Time))) {
	t.Helper()
	ctx := t.Context()
	s, setClock := open(t)
	t.Cleanup(func() { s.Close() })
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	setClock(func() time.Time { return now })

	if ok, err := s.AcquireLease(ctx, "k", "a", time.Minute); err != nil || !ok {
		t.Fatalf("AcquireLease(a) = %v, %v; want true", ok, err)
	}
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, false},
		// Microseconds: the precision Firestore keeps.
		{time.Minute - time.Microsecond, false},
		{time.Minute, true},
	}
	for _, tt := range tests {
		now = start.Add(tt.at)
		ok, err := s.AcquireLease(ctx, "k", "b", time.Minute)
		if err != nil {
			t.Fatalf("AcquireLease(b) at +%v: %v", tt.at, err)
		}
		if ok != tt.want {
			t.Errorf("AcquireLease(b) at +%v = %v, want %v", tt.at, ok, tt.want)
		}
	}
}
