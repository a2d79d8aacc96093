package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

func ruleRun(jobID, rule string, groups ...string) model.RuleRun {
	r := model.RuleRun{JobID: jobID, Rule: rule, Total: len(groups), Scoped: true, Created: t0}
	for _, g := range groups {
		r.Scope = append(r.Scope, model.GroupInfo{ID: g, Email: g + "@example.com", Name: "Group " + g})
	}
	return r
}

// writesOf returns the store's write count when it keeps one.
func writesOf(s engine.Store) (int64, bool) {
	if w, ok := s.(interface{ Writes() int64 }); ok {
		return w.Writes(), true
	}
	return 0, false
}

func testCreateRuleRun(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, err := s.RuleRun(ctx, "j1", "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RuleRun of empty store: err = %v, want one wrapping store.ErrNotFound", err)
	}
	first := ruleRun("j1", "r1", "g1", "g2")
	got, created, err := s.CreateRuleRun(ctx, first)
	must(t, "CreateRuleRun", err)
	if !created {
		t.Error("first CreateRuleRun: created = false")
	}
	if diff := cmp.Diff(first, got, cmpOpts...); diff != "" {
		t.Errorf("first CreateRuleRun mismatch (-want +got):\n%s", diff)
	}

	// A redelivered start lists other groups: the first listing stays.
	second := ruleRun("j1", "r1", "g3")
	second.Created = t0.Add(time.Minute)
	got, created, err = s.CreateRuleRun(ctx, second)
	must(t, "CreateRuleRun (again)", err)
	if created {
		t.Error("second CreateRuleRun: created = true")
	}
	if diff := cmp.Diff(first, got, cmpOpts...); diff != "" {
		t.Errorf("second CreateRuleRun returned (-want +got):\n%s", diff)
	}
	got, err = s.RuleRun(ctx, "j1", "r1")
	must(t, "RuleRun", err)
	if diff := cmp.Diff(first, got, cmpOpts...); diff != "" {
		t.Errorf("RuleRun mismatch (-want +got):\n%s", diff)
	}
	checkHead(t, s, first)
	if _, err := s.RuleRunHead(ctx, "j9", "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RuleRunHead(j9, r1): err = %v, want one wrapping store.ErrNotFound", err)
	}

	// Runs are keyed by (job, rule).
	for _, k := range [][2]string{{"j1", "r2"}, {"j2", "r1"}} {
		if _, err := s.RuleRun(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RuleRun(%s, %s): err = %v, want one wrapping store.ErrNotFound", k[0], k[1], err)
		}
	}
	other := ruleRun("j2", "r1")
	if _, created, err := s.CreateRuleRun(ctx, other); err != nil || !created {
		t.Errorf("CreateRuleRun(j2, r1) = created %v, err %v; want true, nil", created, err)
	}
	got, err = s.RuleRun(ctx, "j2", "r1")
	must(t, "RuleRun", err)
	if diff := cmp.Diff(other, got, cmpOpts...); diff != "" {
		t.Errorf("RuleRun(j2, r1) mismatch (-want +got):\n%s", diff)
	}
}

// testUpdateRuleRun changes a run and its job together, and checks that
// the job keeps what RecordGroupResult merged into it.
func testUpdateRuleRun(t *testing.T, s engine.Store) {
	ctx := t.Context()
	start := job("j1", "r1", t0)
	start.Total = 0
	start.Pending = []string{"r1", "r2"}
	must(t, "CreateJob", s.CreateJob(ctx, start))
	run := ruleRun("j1", "r1", "g1", "g2")
	if _, _, err := s.CreateRuleRun(ctx, run); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	if _, _, err := s.RecordGroupResult(ctx, result("j1", "r1", "g1", "g1@example.com", model.Counts{Groups: 1, MembersAdded: 4})); err != nil {
		t.Fatalf("RecordGroupResult: %v", err)
	}
	now := t0.Add(time.Minute)
	gotRun, gotJob, err := s.UpdateRuleRun(ctx, "j1", "r1", func(r *model.RuleRun, j *model.Job) bool {
		return store.MergeGate(r, j, model.GateHeld, []string{"too many"}, 2, now)
	})
	must(t, "UpdateRuleRun", err)
	wantRun := run
	wantRun.Gate, wantRun.Reasons, wantRun.Groups = model.GateHeld, []string{"too many"}, 2
	wantJob := start
	wantJob.Total, wantJob.Done, wantJob.Held, wantJob.Updated = 2, 1, []string{"too many"}, now
	wantJob.Counts = model.Counts{Groups: 1, MembersAdded: 4}
	if diff := cmp.Diff(wantRun, gotRun, cmpOpts...); diff != "" {
		t.Errorf("UpdateRuleRun run mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantJob, gotJob, cmpOpts...); diff != "" {
		t.Errorf("UpdateRuleRun job mismatch (-want +got):\n%s", diff)
	}
	checkRunAndJob(t, s, wantRun, wantJob)

	// A result recorded after the update still adds to the job.
	if _, _, err := s.RecordGroupResult(ctx, result("j1", "r1", "g2", "g2@example.com", model.Counts{Groups: 1, Unchanged: 1})); err != nil {
		t.Fatalf("RecordGroupResult: %v", err)
	}
	wantJob.Done = 2
	wantJob.Counts = model.Counts{Groups: 2, MembersAdded: 4, Unchanged: 1}
	_, gotJob, err = s.UpdateRuleRun(ctx, "j1", "r1", func(r *model.RuleRun, j *model.Job) bool {
		return store.MergeFinish(r, j, model.Counts{UsersDeleted: 1}, []string{"e1"}, now)
	})
	must(t, "UpdateRuleRun (finish)", err)
	wantRun.Finished = true
	wantJob.Counts.UsersDeleted = 1
	wantJob.Errors = []string{"e1"}
	wantJob.Pending = []string{"r2"}
	if diff := cmp.Diff(wantJob, gotJob, cmpOpts...); diff != "" {
		t.Errorf("UpdateRuleRun (finish) job mismatch (-want +got):\n%s", diff)
	}
	checkRunAndJob(t, s, wantRun, wantJob)
}

// testUpdateRuleRunNoChange checks that fn returning false stores nothing,
// even what fn changed before it decided.
func testUpdateRuleRunNoChange(t *testing.T, s engine.Store) {
	ctx := t.Context()
	wantJob := job("j1", "r1", t0)
	must(t, "CreateJob", s.CreateJob(ctx, wantJob))
	wantRun := ruleRun("j1", "r1", "g1")
	if _, _, err := s.CreateRuleRun(ctx, wantRun); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	before, counted := writesOf(s)
	gotRun, gotJob, err := s.UpdateRuleRun(ctx, "j1", "r1", func(r *model.RuleRun, j *model.Job) bool {
		r.Gate = model.GatePass
		j.Status = model.JobFailed
		return false
	})
	must(t, "UpdateRuleRun", err)
	if after, _ := writesOf(s); counted && after != before {
		t.Errorf("UpdateRuleRun whose fn returned false made %d writes, want 0", after-before)
	}
	checkRunAndJob(t, s, wantRun, wantJob)
	// What it returns is what is stored, not fn's discarded changes.
	if gotRun.Gate != "" || gotJob.Status != model.JobRunning {
		t.Errorf("UpdateRuleRun returned gate %q, status %q; want the stored %q, %q", gotRun.Gate, gotJob.Status, "", model.JobRunning)
	}
}

func testUpdateRuleRunNotFound(t *testing.T, s engine.Store) {
	ctx := t.Context()
	fn := func(r *model.RuleRun, j *model.Job) bool {
		t.Error("UpdateRuleRun called fn without a run and a job")
		return true
	}
	if _, _, err := s.UpdateRuleRun(ctx, "j1", "r1", fn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRuleRun of missing run and job: err = %v, want one wrapping store.ErrNotFound", err)
	}
	// A run whose job is gone.
	if _, _, err := s.CreateRuleRun(ctx, ruleRun("j1", "r1")); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	if _, _, err := s.UpdateRuleRun(ctx, "j1", "r1", fn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRuleRun of a run without its job: err = %v, want one wrapping store.ErrNotFound", err)
	}
	// A job without the run.
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	if _, _, err := s.UpdateRuleRun(ctx, "j1", "r2", fn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRuleRun of a missing run: err = %v, want one wrapping store.ErrNotFound", err)
	}
}

// testUpdateRuleRunConcurrent delivers one gate many times at once while
// results land on the job: the gate decides once, and no result is lost.
func testUpdateRuleRunConcurrent(t *testing.T, s engine.Store) {
	ctx := t.Context()
	start := job("j1", "r1", t0)
	start.Total = 0
	must(t, "CreateJob", s.CreateJob(ctx, start))
	if _, _, err := s.CreateRuleRun(ctx, ruleRun("j1", "r1", "g1")); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	const gates, results = 8, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	deciders := 0
	for i := range gates {
		wg.Go(func() {
			// fn may run again when a transaction retries; the last run is
			// the one that counts.
			decided := false
			reason := fmt.Sprintf("gate %d", i)
			_, _, err := s.UpdateRuleRun(ctx, "j1", "r1", func(r *model.RuleRun, j *model.Job) bool {
				decided = store.MergeGate(r, j, model.GateHeld, []string{reason}, 5, t0)
				return decided
			})
			if err != nil {
				t.Errorf("UpdateRuleRun: %v", err)
				return
			}
			if decided {
				mu.Lock()
				deciders++
				mu.Unlock()
			}
		})
	}
	for i := range results {
		wg.Go(func() {
			g := fmt.Sprintf("g%02d", i)
			if _, _, err := s.RecordGroupResult(ctx, result("j1", "r1", g, g+"@example.com", model.Counts{Groups: 1, MembersAdded: 1})); err != nil {
				t.Errorf("RecordGroupResult: %v", err)
			}
		})
	}
	wg.Wait()
	if deciders != 1 {
		t.Errorf("%d concurrent gates: %d decided, want 1", gates, deciders)
	}
	run, err := s.RuleRun(ctx, "j1", "r1")
	must(t, "RuleRun", err)
	j, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if len(run.Reasons) != 1 || len(j.Held) != 1 || run.Reasons[0] != j.Held[0] {
		t.Errorf("after concurrent gates: run reasons %q, job held %q; want one and the same reason", run.Reasons, j.Held)
	}
	if j.Total != 5 || j.Done != results || j.Counts.Groups != results || j.Counts.MembersAdded != results {
		t.Errorf("job Total %d, Done %d, Counts.Groups %d, Counts.MembersAdded %d; want 5, %d, %d, %d",
			j.Total, j.Done, j.Counts.Groups, j.Counts.MembersAdded, results, results, results)
	}
}

func checkRunAndJob(t *testing.T, s engine.Store, wantRun model.RuleRun, wantJob model.Job) {
	t.Helper()
	run, err := s.RuleRun(t.Context(), wantRun.JobID, wantRun.Rule)
	must(t, "RuleRun", err)
	if diff := cmp.Diff(wantRun, run, cmpOpts...); diff != "" {
		t.Errorf("stored run mismatch (-want +got):\n%s", diff)
	}
	checkHead(t, s, wantRun)
	j, err := s.Job(t.Context(), wantJob.ID)
	must(t, "Job", err)
	if diff := cmp.Diff(wantJob, j, cmpOpts...); diff != "" {
		t.Errorf("stored job mismatch (-want +got):\n%s", diff)
	}
}

// checkHead checks that RuleRunHead returns the stored run without its
// lists.
func checkHead(t *testing.T, s engine.Store, want model.RuleRun) {
	t.Helper()
	got, err := s.RuleRunHead(t.Context(), want.JobID, want.Rule)
	must(t, "RuleRunHead", err)
	if diff := cmp.Diff(want.Head(), got, cmpOpts...); diff != "" {
		t.Errorf("RuleRunHead mismatch (-want +got):\n%s", diff)
	}
}
