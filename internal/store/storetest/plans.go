package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

func gated(jobID, rule, decision string) model.HeldPlan {
	return model.HeldPlan{
		JobID: jobID,
		Rule:  rule,
		Plan: model.Plan{
			Rule:        rule,
			Groups:      []model.GroupPlan{{GroupID: "g1", Email: "g1@example.com", Remove: []string{"u1", "u2"}, Held: []string{"too many"}}},
			DeleteUsers: []model.UserRef{{SourceID: "u1", TargetID: "t1", Email: "u1@example.com"}},
			CreateUsers: []model.User{{ID: "u9", Email: "u9@example.com", GivenName: "N"}},
			Held:        []string{"max_deletes"},
			SourceHash:  "sh-" + rule,
		},
		Decision: decision,
		Reasons:  []string{"max_deletes exceeded: 3 > 2"},
		Created:  t0,
	}
}

// testPlans stores plans of every decision: Plan returns any of them,
// Held only those that wait for an operator.
func testPlans(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, ok, err := s.Plan(ctx, "j1", "ra"); err != nil || ok {
		t.Fatalf("Plan of empty store = ok %v, err %v; want false, nil", ok, err)
	}
	got, err := s.Held(ctx, "j1")
	must(t, "Held", err)
	if len(got) != 0 {
		t.Fatalf("Held of empty store = %d plans, want 0", len(got))
	}
	// Before gates existed, an empty decision meant held.
	legacy, held := gated("j1", "rb", ""), gated("j1", "ra", model.GateHeld)
	pass, dry, approved := gated("j1", "rc", model.GatePass), gated("j1", "rd", model.GateDryRun), gated("j1", "re", model.GateApproved)
	other := gated("j2", "ra", model.GateHeld)
	for _, h := range []model.HeldPlan{legacy, pass, held, dry, approved, other} {
		must(t, "PutPlan", s.PutPlan(ctx, h))
	}
	for _, want := range []model.HeldPlan{legacy, held, pass, dry, approved, other} {
		got, ok, err := s.Plan(ctx, want.JobID, want.Rule)
		must(t, "Plan", err)
		if !ok {
			t.Errorf("Plan(%s, %s): ok = false after PutPlan", want.JobID, want.Rule)
			continue
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("Plan(%s, %s) mismatch (-want +got):\n%s", want.JobID, want.Rule, diff)
		}
	}
	if _, ok, err := s.Plan(ctx, "j2", "rc"); err != nil || ok {
		t.Errorf("Plan(j2, rc) = ok %v, err %v; want false, nil", ok, err)
	}
	got, err = s.Held(ctx, "j1")
	must(t, "Held", err)
	if diff := cmp.Diff([]model.HeldPlan{held, legacy}, got, cmpOpts...); diff != "" {
		t.Errorf("Held(j1) mismatch (-want +got):\n%s", diff)
	}
	got, err = s.Held(ctx, "j2")
	must(t, "Held", err)
	if diff := cmp.Diff([]model.HeldPlan{other}, got, cmpOpts...); diff != "" {
		t.Errorf("Held(j2) mismatch (-want +got):\n%s", diff)
	}

	// Replacing a held plan with its approval takes it off the held list.
	approvedB := legacy
	approvedB.Decision = model.GateApproved
	approvedB.Reasons = nil
	must(t, "PutPlan", s.PutPlan(ctx, approvedB))
	got, err = s.Held(ctx, "j1")
	must(t, "Held", err)
	if diff := cmp.Diff([]model.HeldPlan{held}, got, cmpOpts...); diff != "" {
		t.Errorf("Held(j1) after approving rb mismatch (-want +got):\n%s", diff)
	}
	h, _, err := s.Plan(ctx, "j1", "rb")
	must(t, "Plan", err)
	if diff := cmp.Diff(approvedB, h, cmpOpts...); diff != "" {
		t.Errorf("Plan(j1, rb) after replace mismatch (-want +got):\n%s", diff)
	}
}
