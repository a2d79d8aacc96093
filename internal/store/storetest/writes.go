package storetest

import (
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// WriteCounter is a store that counts its committed writes.
type WriteCounter interface {
	engine.Store
	// Writes counts committed writes that changed stored data.
	Writes() int64
}

// RunWrites checks the write accounting that "an unchanged group costs zero
// writes" rests on: rewriting the same data, deleting what is absent, a
// repeated result, a lost lease, a repeated create or stage, an update
// that changes nothing and every read cost nothing.
func RunWrites(t *testing.T, open func(t *testing.T) WriteCounter) {
	t.Helper()
	ctx := t.Context()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	snap := model.Snapshot{Rule: "r", GroupID: "g", MemberIDs: []string{"u1", "u2"}, Hash: "h1", Updated: time.Now()}
	own := model.Owned{Rule: "r", Kind: model.KindUser, SourceID: "u1", TargetID: "t1", Updated: time.Now()}
	job := model.Job{ID: "j", Status: model.JobRunning, Started: time.Now()}
	res := model.GroupResult{JobID: "j", Rule: "r", GroupID: "g", Counts: model.Counts{Groups: 1}}
	run := model.RuleRun{JobID: "j", Rule: "r", Scope: []model.GroupInfo{{ID: "g"}}, Total: 1, Scoped: true}
	read := model.Membership{Group: model.GroupInfo{ID: "g"}, Members: []model.Member{{ID: "u1"}}}

	steps := []struct {
		name string
		do   func() error
		want int64 // writes added
	}{
		{"PutSnapshot new", func() error { return s.PutSnapshot(ctx, snap) }, 1},
		{"PutSnapshot same", func() error { return s.PutSnapshot(ctx, snap) }, 0},
		{"Snapshot", func() error { _, _, err := s.Snapshot(ctx, "r", "g"); return err }, 0},
		{"Snapshots", func() error { _, err := s.Snapshots(ctx, "r"); return err }, 0},
		{"PutSnapshot changed", func() error {
			c := snap
			c.Hash = "h2"
			return s.PutSnapshot(ctx, c)
		}, 1},
		{"DeleteSnapshot absent", func() error { return s.DeleteSnapshot(ctx, "r", "nope") }, 0},
		{"PutOwned", func() error { return s.PutOwned(ctx, own) }, 1},
		{"PutOwned same", func() error { return s.PutOwned(ctx, own) }, 0},
		{"DeleteOwned absent", func() error { return s.DeleteOwned(ctx, "r", model.KindGroup, "u1") }, 0},
		{"PutRuleState", func() error { return s.PutRuleState(ctx, model.RuleState{Rule: "r", LastScope: 1}) }, 1},
		{"PutRuleState same", func() error { return s.PutRuleState(ctx, model.RuleState{Rule: "r", LastScope: 1}) }, 0},
		{"ForgetRule absent", func() error { return s.ForgetRule(ctx, "nope") }, 0},
		{"CreateJob", func() error { return s.CreateJob(ctx, job) }, 1},
		{"UpdateJob no-op", func() error {
			_, err := s.UpdateJob(ctx, "j", func(*model.Job) error { return nil })
			return err
		}, 0},
		{"RecordGroupResult", func() error { _, _, err := s.RecordGroupResult(ctx, res); return err }, 1},
		{"RecordGroupResult again", func() error { _, _, err := s.RecordGroupResult(ctx, res); return err }, 0},
		{"AcquireLease", func() error { _, err := s.AcquireLease(ctx, "k", "a", time.Hour); return err }, 1},
		{"AcquireLease lost", func() error { _, err := s.AcquireLease(ctx, "k", "b", time.Hour); return err }, 0},
		{"ReleaseLease not holder", func() error { return s.ReleaseLease(ctx, "k", "b") }, 0},
		{"ReleaseLease", func() error { return s.ReleaseLease(ctx, "k", "a") }, 1},
		{"Lease", func() error { _, _, err := s.Lease(ctx, "k"); return err }, 0},
		{"CountResults", func() error { _, err := s.CountResults(ctx, "j", "r"); return err }, 0},
		{"CreateRuleRun", func() error { _, _, err := s.CreateRuleRun(ctx, run); return err }, 1},
		{"CreateRuleRun again", func() error { _, _, err := s.CreateRuleRun(ctx, run); return err }, 0},
		{"RuleRun", func() error { _, err := s.RuleRun(ctx, "j", "r"); return err }, 0},
		{"UpdateRuleRun no-op", func() error {
			_, _, err := s.UpdateRuleRun(ctx, "j", "r", func(*model.RuleRun, *model.Job) bool { return false })
			return err
		}, 0},
		{"UpdateRuleRun", func() error {
			_, _, err := s.UpdateRuleRun(ctx, "j", "r", func(r *model.RuleRun, j *model.Job) bool {
				return store.MergeGate(r, j, model.GatePass, nil, 1, time.Now())
			})
			return err
		}, 1},
		{"PutStaged", func() error { _, err := s.PutStaged(ctx, "j", "r", read); return err }, 1},
		{"PutStaged again", func() error { _, err := s.PutStaged(ctx, "j", "r", read); return err }, 0},
		{"Staged", func() error { _, err := s.Staged(ctx, "j", "r"); return err }, 0},
		{"DropStaged", func() error { return s.DropStaged(ctx, "j", "r") }, 1},
		{"DropStaged absent", func() error { return s.DropStaged(ctx, "j", "r") }, 0},
		{"PutPlan", func() error { return s.PutPlan(ctx, model.HeldPlan{JobID: "j", Rule: "r", Decision: model.GatePass}) }, 1},
		{"Plan", func() error { _, _, err := s.Plan(ctx, "j", "r"); return err }, 0},
		{"Held", func() error { _, err := s.Held(ctx, "j"); return err }, 0},
		{"ForgetRule", func() error { return s.ForgetRule(ctx, "r") }, 1},
	}
	for _, st := range steps {
		before := s.Writes()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.Writes() - before; got != st.want {
			t.Errorf("%s: %d writes, want %d", st.name, got, st.want)
		}
	}
}
