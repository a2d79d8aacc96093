package benchmarks

import (
	"math/rand/v2"
	"testing"

	"github.com/groupsync/groupsync/internal/target/scim/scimmypeer"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// BenchmarkSync runs full syncs against the in-process SCIM fake at each
// size: S (1,000 users, 50 groups) and L (10,000 users, 500 groups).
func BenchmarkSync(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) { scenarios(b, sz, scimtestServer) })
	}
}

// BenchmarkSyncScimmy runs the same syncs against the third-party scimmy
// server (a Node process behind a counting proxy), at size S only: it is
// the slower, more realistic peer. It skips where the server's npm
// packages are not installed (make peers).
func BenchmarkSyncScimmy(b *testing.B) {
	b.Run(sizes[0].name, func(b *testing.B) { scenarios(b, sizes[0], scimmyServer) })
}

func scimtestServer(testing.TB) scimServer {
	srv := scimtest.NewServer(scimtest.Options{})
	return scimServer{url: srv.URL(), token: srv.Token(), close: srv.Close}
}

func scimmyServer(tb testing.TB) scimServer {
	srv := scimmypeer.Start(tb, 100)
	// The peer stops when tb's test ends.
	return scimServer{url: srv.URL, token: srv.Token, close: func() {}}
}

// scenarios runs the three syncs at one size:
//
//   - InitialSync: an empty target and store; every user and group is
//     created and every membership added.
//   - UnchangedResync: nothing changed since the last sync; it must write
//     nothing to the target nor the store's sync data.
//   - OnePercentChange: 1% of the memberships changed (half removals, half
//     additions) and one member was renamed.
//
// Building the org and, for the last two, the first sync are setup and not
// timed.
func scenarios(b *testing.B, sz size, target func(testing.TB) scimServer) {
	b.StopTimer()
	synced := newRig(b, sz, target)
	b.Cleanup(synced.close)
	synced.sync(b)

	b.Run("InitialSync", func(b *testing.B) {
		b.StopTimer()
		var m totals
		for range b.N {
			r := newRig(b, sz, target)
			m.add(r.sync(b))
			r.close()
		}
		m.report(b, sz)
	})

	b.Run("UnchangedResync", func(b *testing.B) {
		b.StopTimer()
		var m totals
		for range b.N {
			res := synced.sync(b)
			// One store data write is the rule state's: where the next
			// hint poll starts (docs/architecture.md, hinted runs).
			if res.targetWrites != 0 || res.dataWrites > 1 {
				b.Errorf("unchanged resync: got %d target writes and %d store data writes, want 0 and at most 1", res.targetWrites, res.dataWrites)
			}
			m.add(res)
		}
		m.report(b, sz)
	})

	b.Run("OnePercentChange", func(b *testing.B) {
		b.StopTimer()
		rng := rand.New(rand.NewPCG(seed, uint64(sz.users)))
		var m totals
		for i := range b.N {
			changes := change(b, synced.dir, rng, 1, i)
			res := synced.sync(b)
			if res.targetWrites == 0 || res.dataWrites == 0 {
				b.Errorf("sync after %d membership changes: got %d target writes and %d store data writes, want some of each", changes, res.targetWrites, res.dataWrites)
			}
			m.changes += changes
			m.add(res)
		}
		m.report(b, sz)
	})
}

// totals sums results over a benchmark's iterations.
type totals struct {
	n                                 int
	changes                           int
	sourceCalls, budget, auditCalls   int64
	targetReqs, targetWrites, patches int
	groupPatches, storeWrites, dataW  int64
	changedGroups                     int
	heapBase, heapPeak                uint64
}

func (m *totals) add(r result) {
	m.n++
	m.sourceCalls += r.sourceCalls
	m.auditCalls += r.auditCalls
	m.budget += r.budget
	m.targetReqs += r.targetReqs
	m.targetWrites += r.targetWrites
	m.patches += r.patches
	m.groupPatches += r.groupPatches
	m.storeWrites += r.storeWrites
	m.dataW += r.dataWrites
	m.changedGroups += r.job.Counts.Groups - r.job.Counts.Unchanged
	m.heapBase = max(m.heapBase, r.heap.base)
	m.heapPeak = max(m.heapPeak, r.heap.peak)
}

func (m *totals) report(b *testing.B, sz size) {
	if m.n == 0 {
		return
	}
	b.ReportMetric(float64(sz.users), "users")
	b.ReportMetric(float64(sz.groups), "groups")
	per := func(v float64) float64 { return v / float64(m.n) }
	b.ReportMetric(per(float64(m.sourceCalls)), "source-calls/op")
	b.ReportMetric(per(float64(m.auditCalls)), "audit-calls/op")
	b.ReportMetric(per(float64(m.budget)), "source-budget/op")
	b.ReportMetric(per(float64(m.targetReqs)), "target-requests/op")
	b.ReportMetric(per(float64(m.targetWrites)), "target-writes/op")
	b.ReportMetric(per(float64(m.patches)), "patch/op")
	b.ReportMetric(per(float64(m.groupPatches)), "group-patch/op")
	b.ReportMetric(per(float64(m.changedGroups)), "changed-groups/op")
	b.ReportMetric(per(float64(m.changes)), "member-changes/op")
	b.ReportMetric(per(float64(m.storeWrites)), "store-writes/op")
	b.ReportMetric(per(float64(m.dataW)), "store-data-writes/op")
	b.ReportMetric(float64(m.heapBase)/(1<<20), "base-heap-MB")
	b.ReportMetric(float64(m.heapPeak)/(1<<20), "peak-heap-MB")
}
