package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

func TestGroupFilterMatch(t *testing.T) {
	f := GroupFilter{Include: []string{"eng-*@example.com", "OPS@Example.com"}, Exclude: []string{"eng-bots@example.com"}}
	tests := []struct {
		email string
		want  bool
	}{
		{"eng-core@example.com", true},
		{"ENG-Core@EXAMPLE.com", true},
		{" ops@example.com ", true},
		{"eng-bots@example.com", false},
		{"Eng-Bots@example.com", false},
		{"sales@example.com", false},
		{"eng-core@example.org", false},
	}
	for _, tt := range tests {
		if got := f.Match(tt.email); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.email, got, tt.want)
		}
	}
	all := GroupFilter{Exclude: []string{"*-bots@*"}}
	if !all.Match("anything@example.com") {
		t.Error("empty include did not match every group")
	}
	if all.Match("x-bots@example.com") {
		t.Error("exclude did not win over an empty include")
	}
	if (GroupFilter{Include: []string{"eng-["}}).Match("eng-[") {
		t.Error("malformed pattern matched")
	}
}

func TestPlanPolicy(t *testing.T) {
	no := false
	r := Rule{Name: "eng", Policy: Policy{
		Mode: "remove-only", NoCreate: true, NoUpdate: true, NoDelete: true, Deprovision: "delete",
		CreateAsDisabled: true, CreateMissingUsers: &no, AdoptExisting: true,
		MaxDeletes: "5", MaxDeletesPerGroup: "0", MaxScopeDrop: "2.5%",
	}}
	got, err := r.PlanPolicy()
	if err != nil {
		t.Fatal(err)
	}
	want := plan.Policy{
		Mode: "remove-only", NoCreate: true, NoUpdate: true, NoDelete: true, Deprovision: "delete",
		CreateAsDisabled: true, CreateMissingUsers: false, AdoptExisting: true,
		MaxDeletes:         plan.Limit{Count: 5, Set: true},
		MaxDeletesPerGroup: plan.Limit{Count: 0, Set: true},
		MaxScopeDrop:       plan.Limit{Percent: 2.5, Set: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PlanPolicy() (-want +got):\n%s", diff)
	}
}

func TestPlanPolicyDefaults(t *testing.T) {
	got, err := Rule{Name: "eng"}.PlanPolicy()
	if err != nil {
		t.Fatal(err)
	}
	want := plan.Policy{
		Mode: "sync", Deprovision: "disable", CreateMissingUsers: true,
		MaxDeletes:         plan.Limit{Percent: 10, Set: true},
		MaxDeletesPerGroup: plan.Limit{Percent: 10, Set: true},
		MaxScopeDrop:       plan.Limit{Percent: 20, Set: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PlanPolicy() (-want +got):\n%s", diff)
	}
}

func TestPlanPolicyBadLimit(t *testing.T) {
	_, err := Rule{Name: "eng", Policy: Policy{MaxScopeDrop: "x"}}.PlanPolicy()
	want := `rule "eng": policy.max_scope_drop: "x" is not a count or a percentage like "10%"`
	if err == nil || err.Error() != want {
		t.Errorf("PlanPolicy() error = %v, want %q", err, want)
	}
}

func TestModelMemberOptions(t *testing.T) {
	tests := []struct {
		in   MemberOptions
		want model.MemberOptions
	}{
		{MemberOptions{}, model.MemberOptions{Types: []string{"USER"}, Nested: "flatten"}},
		{
			MemberOptions{Types: []string{"user", "GROUP"}, Nested: "direct", IncludeSuspended: true},
			model.MemberOptions{Types: []string{"USER", "GROUP"}, Nested: "direct", IncludeSuspended: true},
		},
	}
	for _, tt := range tests {
		got := Rule{Members: tt.in}.ModelMemberOptions()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ModelMemberOptions(%+v) (-want +got):\n%s", tt.in, diff)
		}
	}
}
