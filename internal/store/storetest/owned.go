package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

func owned(rule, kind, sourceID string) model.Owned {
	return model.Owned{
		Rule:     rule,
		Kind:     kind,
		SourceID: sourceID,
		TargetID: "t-" + kind + "-" + sourceID,
		Created:  true,
		Email:    sourceID + "@example.com",
		Name:     "Name " + sourceID,
		Active:   true,
		Hash:     model.HashStrings(rule, kind, sourceID),
		Updated:  t0,
	}
}

func testOwnedRoundTrip(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, ok, err := s.Owned(ctx, "r1", model.KindUser, "u1"); err != nil || ok {
		t.Fatalf("Owned of empty store = ok %v, err %v; want false, nil", ok, err)
	}
	want := owned("r1", model.KindUser, "u1")
	must(t, "PutOwned", s.PutOwned(ctx, want))
	got, ok, err := s.Owned(ctx, "r1", model.KindUser, "u1")
	must(t, "Owned", err)
	if !ok {
		t.Fatal("Owned: ok = false after PutOwned")
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Owned mismatch (-want +got):\n%s", diff)
	}

	// Overwrite: an adopted, disabled user.
	want.Created = false
	want.Active = false
	want.Email = "new@example.com"
	want.Updated = t0.Add(time.Hour)
	must(t, "PutOwned", s.PutOwned(ctx, want))
	got, _, err = s.Owned(ctx, "r1", model.KindUser, "u1")
	must(t, "Owned", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Owned after overwrite mismatch (-want +got):\n%s", diff)
	}
}

// testOwnedIsolation checks that records are keyed by (rule, kind, source
// ID): a user and a group with the same source ID, or the same user under
// two rules, are separate records.
func testOwnedIsolation(t *testing.T, s engine.Store) {
	ctx := t.Context()
	recs := []model.Owned{
		owned("r1", model.KindUser, "x2"),
		owned("r1", model.KindUser, "x1"),
		owned("r1", model.KindGroup, "x1"),
		owned("r2", model.KindUser, "x1"),
		owned("r1", model.KindUser, "x10"),
	}
	recs[3].TargetID = "other-target"
	for _, o := range recs {
		must(t, "PutOwned", s.PutOwned(ctx, o))
	}
	for _, want := range recs {
		got, ok, err := s.Owned(ctx, want.Rule, want.Kind, want.SourceID)
		must(t, "Owned", err)
		if !ok {
			t.Errorf("Owned(%s, %s, %s): ok = false", want.Rule, want.Kind, want.SourceID)
			continue
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("Owned(%s, %s, %s) mismatch (-want +got):\n%s", want.Rule, want.Kind, want.SourceID, diff)
		}
	}

	tests := []struct {
		rule, kind string
		want       []model.Owned
	}{
		{"r1", model.KindUser, []model.Owned{recs[1], recs[4], recs[0]}}, // x1 x10 x2
		{"r1", model.KindGroup, []model.Owned{recs[2]}},
		{"r2", model.KindUser, []model.Owned{recs[3]}},
		{"r2", model.KindGroup, nil},
		{"r3", model.KindUser, nil},
	}
	for _, tt := range tests {
		got, err := s.OwnedAll(ctx, tt.rule, tt.kind)
		must(t, "OwnedAll", err)
		if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
			t.Errorf("OwnedAll(%s, %s) mismatch (-want +got):\n%s", tt.rule, tt.kind, diff)
		}
	}
}

func testDeleteOwned(t *testing.T, s engine.Store) {
	ctx := t.Context()
	u := owned("r1", model.KindUser, "x1")
	g := owned("r1", model.KindGroup, "x1")
	other := owned("r2", model.KindUser, "x1")
	for _, o := range []model.Owned{u, g, other} {
		must(t, "PutOwned", s.PutOwned(ctx, o))
	}
	must(t, "DeleteOwned", s.DeleteOwned(ctx, "r1", model.KindUser, "x1"))
	if _, ok, err := s.Owned(ctx, "r1", model.KindUser, "x1"); err != nil || ok {
		t.Errorf("Owned after delete = ok %v, err %v; want false, nil", ok, err)
	}
	for _, o := range []model.Owned{g, other} {
		if _, ok, err := s.Owned(ctx, o.Rule, o.Kind, o.SourceID); err != nil || !ok {
			t.Errorf("Owned(%s, %s, %s) = ok %v, err %v; want true, nil", o.Rule, o.Kind, o.SourceID, ok, err)
		}
	}
	got, err := s.OwnedAll(ctx, "r1", model.KindUser)
	must(t, "OwnedAll", err)
	if len(got) != 0 {
		t.Errorf("OwnedAll(r1, user) after delete = %v, want none", got)
	}
	must(t, "DeleteOwned (absent)", s.DeleteOwned(ctx, "r1", model.KindUser, "x1"))
}

func testRuleState(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, ok, err := s.RuleState(ctx, "r1"); err != nil || ok {
		t.Fatalf("RuleState of empty store = ok %v, err %v; want false, nil", ok, err)
	}
	want := model.RuleState{Rule: "r1", LastScope: 42, LastJob: "j1", LastUpdated: t0}
	must(t, "PutRuleState", s.PutRuleState(ctx, want))
	must(t, "PutRuleState", s.PutRuleState(ctx, model.RuleState{Rule: "r2", LastScope: 7, LastUpdated: t0}))
	got, ok, err := s.RuleState(ctx, "r1")
	must(t, "RuleState", err)
	if !ok {
		t.Fatal("RuleState: ok = false after PutRuleState")
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("RuleState mismatch (-want +got):\n%s", diff)
	}
	want.LastScope = 0 // a scope that dropped to zero must read back as zero
	want.LastJob = "j2"
	must(t, "PutRuleState", s.PutRuleState(ctx, want))
	got, _, err = s.RuleState(ctx, "r1")
	must(t, "RuleState", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("RuleState after overwrite mismatch (-want +got):\n%s", diff)
	}
}

func testForgetRule(t *testing.T, s engine.Store) {
	ctx := t.Context()
	for _, rule := range []string{"r1", "r2"} {
		must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot(rule, "g1", "u1")))
		must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot(rule, "g2", "u1")))
		must(t, "PutOwned", s.PutOwned(ctx, owned(rule, model.KindUser, "u1")))
		must(t, "PutOwned", s.PutOwned(ctx, owned(rule, model.KindGroup, "g1")))
		must(t, "PutRuleState", s.PutRuleState(ctx, model.RuleState{Rule: rule, LastScope: 2, LastUpdated: t0}))
	}
	// A rule whose name is a prefix of another must not take it along.
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r1x", "g1", "u1")))
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))

	must(t, "ForgetRule", s.ForgetRule(ctx, "r1"))

	snaps, err := s.Snapshots(ctx, "r1")
	must(t, "Snapshots", err)
	if len(snaps) != 0 {
		t.Errorf("Snapshots(r1) after ForgetRule = %d, want 0", len(snaps))
	}
	if _, ok, err := s.Snapshot(ctx, "r1", "g1"); err != nil || ok {
		t.Errorf("Snapshot(r1, g1) after ForgetRule = ok %v, err %v; want false, nil", ok, err)
	}
	for _, kind := range []string{model.KindUser, model.KindGroup} {
		o, err := s.OwnedAll(ctx, "r1", kind)
		must(t, "OwnedAll", err)
		if len(o) != 0 {
			t.Errorf("OwnedAll(r1, %s) after ForgetRule = %v, want none", kind, o)
		}
	}
	if _, ok, err := s.Owned(ctx, "r1", model.KindUser, "u1"); err != nil || ok {
		t.Errorf("Owned(r1, user, u1) after ForgetRule = ok %v, err %v; want false, nil", ok, err)
	}
	if _, ok, err := s.RuleState(ctx, "r1"); err != nil || ok {
		t.Errorf("RuleState(r1) after ForgetRule = ok %v, err %v; want false, nil", ok, err)
	}

	// Other rules and jobs are untouched.
	snaps, err = s.Snapshots(ctx, "r2")
	must(t, "Snapshots", err)
	if diff := cmp.Diff([]model.Snapshot{snapshot("r2", "g1", "u1"), snapshot("r2", "g2", "u1")}, snaps, cmpOpts...); diff != "" {
		t.Errorf("Snapshots(r2) after ForgetRule(r1) mismatch (-want +got):\n%s", diff)
	}
	if _, ok, err := s.Snapshot(ctx, "r1x", "g1"); err != nil || !ok {
		t.Errorf("Snapshot(r1x, g1) after ForgetRule(r1) = ok %v, err %v; want true, nil", ok, err)
	}
	for _, kind := range []string{model.KindUser, model.KindGroup} {
		o, err := s.OwnedAll(ctx, "r2", kind)
		must(t, "OwnedAll", err)
		if len(o) != 1 {
			t.Errorf("OwnedAll(r2, %s) after ForgetRule(r1) = %d records, want 1", kind, len(o))
		}
	}
	if _, ok, err := s.RuleState(ctx, "r2"); err != nil || !ok {
		t.Errorf("RuleState(r2) after ForgetRule(r1) = ok %v, err %v; want true, nil", ok, err)
	}
	if _, err := s.Job(ctx, "j1"); err != nil {
		t.Errorf("Job(j1) after ForgetRule(r1): %v", err)
	}

	must(t, "ForgetRule (absent)", s.ForgetRule(ctx, "nope"))
}
