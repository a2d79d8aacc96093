package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/model"
)

// benchOrg is a rule at size L: 100,000 users in 10,000 groups of 100
// members, 1,000,000 memberships. With synced set, everything is owned and
// every snapshot matches the source but for 1% of the memberships.
//
// The data has the shape the gate hands Compute: members sorted by ID (as
// both sources return them), one copy of each user's ID and email across
// groups (as the stores' Staged returns them), and snapshots stored as
// sorted sets.
func benchOrg(synced bool) (Desired, Actual) {
	const users, groups, per = 100_000, 10_000, 100
	rng := rand.New(rand.NewPCG(1, 2))
	d := Desired{Rule: "bench", Users: make(map[string]model.User, users), Complete: true}
	a := Actual{Snapshots: map[string]model.Snapshot{}, Groups: map[string]model.Owned{}, Users: map[string]model.Owned{}, LastScope: groups}
	for i := range users {
		id := fmt.Sprintf("u%06d", i)
		u := model.User{ID: id, Email: id + "@example.com", GivenName: "U", FamilyName: id}
		d.Users[id] = u
		if synced {
			a.Users[id] = model.Owned{Rule: "bench", Kind: model.KindUser, SourceID: id, TargetID: "t" + id, Active: true, Hash: model.UserHash(u)}
		}
	}
	for g := range groups {
		info := model.GroupInfo{ID: fmt.Sprintf("g%05d", g), Email: fmt.Sprintf("g%05d@example.com", g), Name: "G"}
		m := model.Membership{Group: info, Members: make([]model.Member, per)}
		ids := make([]string, per)
		for k := range per {
			id := fmt.Sprintf("u%06d", rng.IntN(users))
			m.Members[k] = model.Member{ID: id, Email: id + "@example.com"}
			ids[k] = id
		}
		slices.SortFunc(m.Members, func(a, b model.Member) int { return strings.Compare(a.ID, b.ID) })
		slices.Sort(ids)
		ids = slices.Compact(ids)
		d.Groups = append(d.Groups, m)
		if synced {
			if g%100 == 0 {
				ids = ids[1:] // 1% change: the snapshot lacks a member
			}
			a.Groups[info.ID] = model.Owned{Rule: "bench", Kind: model.KindGroup, SourceID: info.ID, TargetID: "t" + info.ID, Email: info.Email, Name: info.Name}
			a.Snapshots[info.ID] = model.Snapshot{Rule: "bench", GroupID: info.ID, Email: info.Email, Name: info.Name, MemberIDs: ids}
		}
	}
	var in model.Interner
	in.Members(d.Groups)
	return d, a
}

// BenchmarkCompute plans 1,000,000 memberships: an initial sync (every
// user and group created) and a steady run (1% of the groups changed).
func BenchmarkCompute(b *testing.B) {
	for _, tc := range []struct {
		name   string
		synced bool
	}{{"Initial", false}, {"Steady", true}} {
		b.Run(tc.name, func(b *testing.B) {
			d, a := benchOrg(tc.synced)
			p := Policy{CreateMissingUsers: true, Force: true}
			n := 0
			for _, m := range d.Groups {
				n += len(m.Members)
			}
			cpu0 := cpuTime(b)
			for b.Loop() {
				if _, err := Compute(d, a, p); err != nil {
					b.Fatal(err)
				}
			}
			// CPU, not wall: on a shared machine wall time measures the
			// neighbours. It includes the GC's CPU on both cores.
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(n), "memberships")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
