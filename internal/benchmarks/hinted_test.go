package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// Issue 13's sizes: M is 20,000 users in 2,000 groups; L is 100,000 users
// in 10,000 groups. L runs only with GROUPSYNC_BENCH_L=1: on a shared
// 2-core machine one L sync takes far longer than a benchmark run.
var hintSizes = []size{
	{name: "M", users: 20_000, groups: 2_000},
	{name: "L", users: 100_000, groups: 10_000},
}

// auditLag is the simulated delay before the audit log lists a change,
// and poll the hint poll's schedule (Terraform's default).
const (
	auditLag = 90 * time.Second
	poll     = time.Minute
)

// BenchmarkHinted measures runs on change hints (Reports API) between
// full reconciles at sizes M and L, each scenario once (-benchtime=1x):
//
//   - Full: the initial sync (every object created).
//   - FullNoChange: `sync --full` of an unchanged directory.
//   - HintedNoChange: a hint poll with nothing changed; it must make
//     ceil(G/200)+2 Directory calls and write nothing.
//   - Hinted1Percent: 1% of the memberships changed, read on hints.
//   - HintedRenameStorm: 1% of the users renamed, read on hints.
//   - Latency: changes at six offsets in a poll's minute, with a 90 s
//     audit lag and a poll a minute; it reports the p50 and the worst
//     time from the change to the target (simulated time until the poll
//     that reads it, plus that poll's wall time).
//
// After the hinted scenarios a `sync --full` must write nothing: the
// hinted runs left the target where a full read would.
func BenchmarkHinted(b *testing.B) {
	for _, sz := range hintSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.name == "L" && os.Getenv("GROUPSYNC_BENCH_L") != "1" {
				b.Skip("size L runs with GROUPSYNC_BENCH_L=1")
			}
			hinted(b, sz)
		})
	}
}

func hinted(b *testing.B, sz size) {
	b.StopTimer()
	// One clock for the directory fake (audit event times and lag) and the
	// engine (watermarks): a poll's minute passes without waiting.
	clock := workspacetest.NewClock(time.Now().Truncate(poll))
	r := newRig(b, sz, scimtestServer, workspacetest.WithAuditLag(auditLag))
	b.Cleanup(r.close)
	r.dir.SetClock(clock.Now)
	r.now = clock.Now
	listing := int64(ceilDiv(len(r.dir.Org().Groups), 200))

	run := func(name string, setup func(), req engine.Request, check func(b *testing.B, res result)) {
		b.Run(name, func(b *testing.B) {
			b.StopTimer()
			var m totals
			for range b.N {
				setup()
				res := r.syncWith(b, req)
				check(b, res)
				m.add(res)
				b.ReportMetric(res.wall.Seconds(), "wall-s/op")
			}
			m.report(b, sz)
			reportRSS(b)
		})
	}
	next := func() { clock.Add(poll) }
	run("Full", next, engine.Request{}, func(b *testing.B, res result) {
		if res.targetWrites == 0 {
			b.Errorf("initial sync wrote nothing")
		}
		b.ReportMetric(float64(res.targetReqs)/float64(max(1, res.targetWrites)), "requests/write")
	})
	run("FullNoChange", next, engine.Request{Full: true}, func(b *testing.B, res result) {
		if res.targetWrites != 0 || res.dataWrites > 1 {
			b.Errorf("unchanged full sync: %d target and %d store data writes, want 0 and at most the rule state's", res.targetWrites, res.dataWrites)
		}
	})
	run("HintedNoChange", next, engine.Request{}, func(b *testing.B, res result) {
		if want := listing + 2; res.sourceCalls != want {
			b.Errorf("hinted no-change run: %d Directory calls, want ceil(G/200)+2 = %d", res.sourceCalls, want)
		}
		if res.targetWrites != 0 {
			b.Errorf("hinted no-change run: %d target writes, want 0", res.targetWrites)
		}
	})
	rng := rand.New(rand.NewPCG(seed, uint64(sz.users)))
	round := 0
	run("Hinted1Percent", func() {
		round++
		b.ReportMetric(float64(change(b, r.dir, rng, 1, round)), "member-changes")
		clock.Add(auditLag + poll)
	}, engine.Request{}, func(b *testing.B, res result) {
		if res.targetWrites == 0 {
			b.Errorf("hinted run after a 1%% change wrote nothing")
		}
	})
	run("HintedRenameStorm", func() {
		round++
		renameStorm(b, r.dir, rng, 1, round)
		clock.Add(auditLag + poll)
	}, engine.Request{}, func(b *testing.B, res result) {
		if res.job.Counts.UsersUpdated == 0 {
			b.Errorf("hinted run after a rename storm updated no user")
		}
	})
	run("FullAfterHinted", next, engine.Request{Full: true}, func(b *testing.B, res result) {
		if res.targetWrites != 0 {
			b.Errorf("full sync after the hinted runs: %d target writes, want 0 (the hinted runs missed changes)", res.targetWrites)
		}
	})
	b.Run("Latency", func(b *testing.B) {
		b.StopTimer()
		for range b.N {
			lat := latencies(b, r, clock)
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
			b.ReportMetric(lat[len(lat)-1].Seconds(), "max-s")
			if lat[len(lat)/2] > 3*time.Minute {
				b.Errorf("change to target p50 %s, want at most 3m", lat[len(lat)/2])
			}
		}
		reportRSS(b)
	})
}

// latencies adds a member at six offsets in a poll's minute and polls a
// minute apart until the target has it: the latency is the simulated
// time from the change to the poll that applied it, plus the poll's wall
// time.
func latencies(b *testing.B, r *rig, clock *workspacetest.Clock) []time.Duration {
	org := r.dir.Org()
	var out []time.Duration
	for k := range 6 {
		offset := time.Duration(k) * poll / 6
		start := clock.Now().Truncate(poll).Add(poll)
		clock.Set(start.Add(offset))
		g := org.Groups[1+k]
		u := org.Users[len(org.Users)-1-k]
		if err := r.dir.AddMember(g.Email, workspacetest.Member{ID: u.ID, Type: workspacetest.TypeUser}); err != nil {
			b.Fatal(err)
		}
		changed := clock.Now()
		for p := 1; ; p++ {
			clock.Set(start.Add(time.Duration(p) * poll))
			res := r.sync(b)
			if res.job.Counts.MembersAdded > 0 {
				out = append(out, clock.Now().Sub(changed)+res.wall)
				break
			}
			if p == 10 {
				b.Fatalf("a member added to %s never reached the target in 10 polls", g.Email)
			}
		}
	}
	return out
}

// renameStorm renames pct% of the users, as the admin console does one
// by one.
func renameStorm(tb testing.TB, srv *workspacetest.Server, rng *rand.Rand, pct float64, round int) {
	tb.Helper()
	users := srv.Org().Users
	n := max(1, int(float64(len(users))*pct/100))
	for _, i := range rng.Perm(len(users))[:n] {
		u := users[i]
		if strings.HasPrefix(u.PrimaryEmail, "admin@") {
			continue
		}
		if err := srv.RenameUser(u.ID, fmt.Sprintf("storm%d.%s", round, u.PrimaryEmail)); err != nil {
			tb.Fatal(err)
		}
	}
}

// reportRSS reports the process's peak resident set so far (VmHWM): the
// fakes' state included, so an upper bound on a sync's own.
func reportRSS(b *testing.B) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				b.ReportMetric(kb/1024, "peak-rss-MB")
			}
		}
	}
}
