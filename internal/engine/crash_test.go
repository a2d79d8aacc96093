package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store/storetest"
)

// killAt kills the k-th write (never, for k < 1), before or after it
// lands, and counts every write.
type killAt struct {
	k     int64
	after bool

	mu sync.Mutex
	n  int64
}

func (c *killAt) kill() (bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n == c.k, c.after
}

// TestCrashAtEveryWriteConverges kills the run at each of its writes in
// turn, before and after the write lands. The run may end failed or
// partial, but it never leaves more than the source asks for, never makes
// a user twice, and one clean run afterwards converges.
func TestCrashAtEveryWriteConverges(t *testing.T) {
	clean := newFixture(t, "")
	counter := &killAt{}
	clean.eng = engine.New(rules(t, mustConfig(t, "")), &storetest.Faulty{Store: clean.store, Kill: counter.kill}, map[string]engine.Source{"corp": clean.src}, map[string]engine.Target{"app": clean.tgt}, engine.Options{Workers: 4})
	clean.run(t, engine.Request{})
	writes := counter.n
	want := map[string][]string{}
	for _, g := range []string{"a", "b", "c"} {
		want[g] = clean.tgt.Members("eng-" + g + "@example.com")
	}
	for k := int64(1); k <= writes; k++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("write%02d/after=%t", k, after), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, "")
				crash := &storetest.Faulty{Store: f.store, Kill: (&killAt{k: k, after: after}).kill}
				eng := engine.New(rules(t, mustConfig(t, "")), crash, map[string]engine.Source{"corp": f.src}, map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4})
				eng.Run(context.Background(), engine.Request{JobID: "crashed"})
				if got := len(f.tgt.ActiveUsers()); got > 30 {
					t.Fatalf("after the crash: %d users, want at most 30", got)
				}
				j := f.run(t, engine.Request{})
				if j.Status != model.JobDone {
					t.Fatalf("clean run after the crash: %s %v, want done", j.Status, j.Errors)
				}
				got := map[string][]string{}
				for _, g := range []string{"a", "b", "c"} {
					got[g] = f.tgt.Members("eng-" + g + "@example.com")
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("target after crash + clean run (-want +got):\n%s", diff)
				}
				if n := len(f.tgt.ActiveUsers()); n != 30 {
					t.Errorf("users: %d, want 30", n)
				}
			})
		}
	}
}
