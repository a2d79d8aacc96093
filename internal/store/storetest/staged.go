package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

func read(groupID string, members ...string) model.Membership {
	m := model.Membership{
		Group:    model.GroupInfo{ID: groupID, Email: groupID + "@example.com", Name: "Group " + groupID},
		Problems: []string{"page 2 of " + groupID + " failed"},
		Cycles:   [][]string{{groupID, "x", groupID}},
		Calls:    3,
	}
	for _, id := range members {
		m.Members = append(m.Members, model.Member{ID: id, Email: id + "@example.com"})
	}
	return m
}

func stage(t *testing.T, s engine.Store, jobID, rule string, m model.Membership) int {
	t.Helper()
	n, err := s.PutStaged(t.Context(), jobID, rule, m)
	if err != nil {
		t.Fatalf("PutStaged(%s, %s, %s): %v", jobID, rule, m.Group.ID, err)
	}
	return n
}

func staged(t *testing.T, s engine.Store, jobID, rule string) []model.Membership {
	t.Helper()
	got, err := s.Staged(t.Context(), jobID, rule)
	if err != nil {
		t.Fatalf("Staged(%s, %s): %v", jobID, rule, err)
	}
	return got
}

// testPutStaged checks that a redelivered read neither replaces the first
// nor counts again, that counts are per (job, rule), and that Staged sorts
// by group ID.
func testPutStaged(t *testing.T, s engine.Store) {
	if got := staged(t, s, "j1", "r1"); len(got) != 0 {
		t.Fatalf("Staged of empty store = %d reads, want 0", len(got))
	}
	g3, g1, g10, g2 := read("g3", "u1"), read("g1", "u1", "u2"), read("g10"), read("g2", "u3")
	for i, m := range []model.Membership{g3, g1, g10} {
		if n := stage(t, s, "j1", "r1", m); n != i+1 {
			t.Errorf("PutStaged(%s) = %d, want %d", m.Group.ID, n, i+1)
		}
	}
	again := read("g1", "u9")
	again.Incomplete = true
	if n := stage(t, s, "j1", "r1", again); n != 3 {
		t.Errorf("PutStaged(g1) again = %d, want 3", n)
	}
	// "r1x" shares a prefix with "r1".
	for _, k := range [][2]string{{"j1", "r2"}, {"j2", "r1"}, {"j1", "r1x"}} {
		if n := stage(t, s, k[0], k[1], g1); n != 1 {
			t.Errorf("PutStaged(%s, %s, g1) = %d, want 1", k[0], k[1], n)
		}
	}
	if n := stage(t, s, "j1", "r1", g2); n != 4 {
		t.Errorf("PutStaged(g2) = %d, want 4", n)
	}
	want := []model.Membership{g1, g10, g2, g3}
	if diff := cmp.Diff(want, staged(t, s, "j1", "r1"), cmpOpts...); diff != "" {
		t.Errorf("Staged(j1, r1) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]model.Membership{g1}, staged(t, s, "j1", "r2"), cmpOpts...); diff != "" {
		t.Errorf("Staged(j1, r2) mismatch (-want +got):\n%s", diff)
	}
}

func testDropStaged(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "DropStaged (nothing staged)", s.DropStaged(ctx, "j1", "r1"))
	for _, k := range [][2]string{{"j1", "r1"}, {"j1", "r2"}, {"j1", "r1x"}, {"j2", "r1"}} {
		stage(t, s, k[0], k[1], read("g1", "u1"))
		stage(t, s, k[0], k[1], read("g2", "u2"))
	}
	must(t, "DropStaged", s.DropStaged(ctx, "j1", "r1"))
	if got := staged(t, s, "j1", "r1"); len(got) != 0 {
		t.Errorf("Staged(j1, r1) after DropStaged = %d reads, want 0", len(got))
	}
	for _, k := range [][2]string{{"j1", "r2"}, {"j1", "r1x"}, {"j2", "r1"}} {
		if got := staged(t, s, k[0], k[1]); len(got) != 2 {
			t.Errorf("Staged(%s, %s) after DropStaged(j1, r1) = %d reads, want 2", k[0], k[1], len(got))
		}
	}
	must(t, "DropStaged (again)", s.DropStaged(ctx, "j1", "r1"))
}

// testPutStagedConcurrent reads every group of a rule at once: exactly one
// read sees the rule complete, so exactly one publishes the gate. Then
// every read is redelivered at once, and none counts again.
func testPutStagedConcurrent(t *testing.T, s engine.Store) {
	ctx := t.Context()
	const groups = 24
	stageAll := func() []int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ns []int
		for i := range groups {
			wg.Go(func() {
				n, err := s.PutStaged(ctx, "j1", "r1", read(fmt.Sprintf("g%02d", i), "u1"))
				if err != nil {
					t.Errorf("PutStaged: %v", err)
					return
				}
				mu.Lock()
				ns = append(ns, n)
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(ns)
		return ns
	}
	ns := stageAll()
	if c := count(ns, groups); c != 1 {
		t.Errorf("%d concurrent PutStaged: %d saw %d staged, want exactly 1 (all saw %v)", groups, c, groups, ns)
	}
	if ns[len(ns)-1] > groups {
		t.Errorf("%d concurrent PutStaged: largest count %d", groups, ns[len(ns)-1])
	}
	ns = stageAll()
	if c := count(ns, groups); c != groups {
		t.Errorf("%d redelivered PutStaged: %d saw %d staged, want all (saw %v)", groups, c, groups, ns)
	}
	if got := staged(t, s, "j1", "r1"); len(got) != groups {
		t.Errorf("Staged = %d reads, want %d", len(got), groups)
	}
}

func count(ns []int, v int) int {
	c := 0
	for _, n := range ns {
		if n == v {
			c++
		}
	}
	return c
}

// testRunRecordsLarge stores a run's records far larger than one Firestore
// document can hold, to make chunking stores prove their reassembly. The
// big slices are compared apart: cmp walks them too slowly.
func testRunRecordsLarge(t *testing.T, s engine.Store) {
	ctx := t.Context()
	const n = 20000 // over 1 MiB of JSON per record
	ids := make([]string, n)
	groups := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("1%020d", i*7919) // 21 digits, like Google IDs
		groups[i] = fmt.Sprintf("0%020d", i*7907)
	}
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	if _, _, err := s.CreateRuleRun(ctx, ruleRun("j1", "r1", groups...)); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	want, _, err := s.UpdateRuleRun(ctx, "j1", "r1", func(r *model.RuleRun, j *model.Job) bool {
		r.Reasons = ids[:n/2]
		return true
	})
	must(t, "UpdateRuleRun", err)
	got, err := s.RuleRun(ctx, "j1", "r1")
	must(t, "RuleRun", err)
	if len(want.Scope) != n || !slices.Equal(want.Scope, got.Scope) || !slices.Equal(ids[:n/2], got.Reasons) {
		t.Errorf("RuleRun has %d groups and %d reasons, want the %d groups and %d reasons stored", len(got.Scope), len(got.Reasons), n, n/2)
	}
	want.Scope, got.Scope, want.Reasons, got.Reasons = nil, nil, nil, nil
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("RuleRun mismatch (-want +got):\n%s", diff)
	}

	big := read("big", ids...)
	stage(t, s, "j1", "r1", big)
	reads := staged(t, s, "j1", "r1")
	if len(reads) != 1 || !slices.Equal(big.Members, reads[0].Members) {
		t.Fatalf("Staged returned %d reads, want the one big read stored", len(reads))
	}
	big.Members, reads[0].Members = nil, nil
	if diff := cmp.Diff(big, reads[0], cmpOpts...); diff != "" {
		t.Errorf("Staged mismatch (-want +got):\n%s", diff)
	}

	h := gated("j1", "r1", model.GatePass)
	h.Plan.Groups = []model.GroupPlan{{GroupID: "big", Email: "big@example.com", Add: ids}}
	must(t, "PutPlan", s.PutPlan(ctx, h))
	p, ok, err := s.Plan(ctx, "j1", "r1")
	must(t, "Plan", err)
	if !ok || len(p.Plan.Groups) != 1 || !slices.Equal(ids, p.Plan.Groups[0].Add) {
		t.Fatalf("Plan = ok %v with %d groups, want the big plan stored", ok, len(p.Plan.Groups))
	}
	h.Plan.Groups[0].Add, p.Plan.Groups[0].Add = nil, nil
	if diff := cmp.Diff(h, p, cmpOpts...); diff != "" {
		t.Errorf("Plan mismatch (-want +got):\n%s", diff)
	}
}
