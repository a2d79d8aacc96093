package bolt

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "dir", "groupsync.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) engine.Store { return open(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "groupsync.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.PutSnapshot(ctx, model.Snapshot{Rule: "r", GroupID: "g", MemberIDs: []string{"u"}, Hash: "h"}); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, ok, err := s.Snapshot(ctx, "r", "g")
	if err != nil || !ok || got.Hash != "h" {
		t.Errorf("Snapshot after reopen = %+v, ok %v, err %v; want hash h", got, ok, err)
	}
}

func TestOpenLocked(t *testing.T) {
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 100 * time.Millisecond
	path := filepath.Join(t.TempDir(), "groupsync.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	// bbolt's flock is per open file, so a second Open in this process
	// contends exactly like a second process would.
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a locked store succeeded")
	}
	if !strings.Contains(err.Error(), "store is locked by another groupsync process") {
		t.Errorf("second Open: err = %q, want it to say the store is locked", err)
	}
}

func TestWrites(t *testing.T) {
	storetest.RunWrites(t, func(t *testing.T) storetest.WriteCounter { return open(t) })
}

func TestLeaseClock(t *testing.T) {
	storetest.RunLeaseClock(t, func(t *testing.T) (engine.Store, func(func() time.Time)) {
		s := open(t)
		return s, func(now func() time.Time) { s.now = now }
	})
}

func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100, 5000, 50000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("1%020d", i)
		}
		b.Run(fmt.Sprintf("Put/%d", n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			for i := 0; b.Loop(); i++ {
				// A new hash each time, so every Put is a real write.
				sn := model.Snapshot{Rule: "r", GroupID: "g", MemberIDs: ids, Hash: fmt.Sprint(i)}
				if err := s.PutSnapshot(b.Context(), sn); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Get/%d", n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			if err := s.PutSnapshot(b.Context(), model.Snapshot{Rule: "r", GroupID: "g", MemberIDs: ids, Hash: "h"}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, err := s.Snapshot(b.Context(), "r", "g"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
