package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
)

func TestDecide(t *testing.T) {
	held := model.Plan{Rule: "r", Held: []string{"run: 4 deletions exceed max_deletes 3"}}
	groupHeld := model.Plan{Rule: "r", Groups: []model.GroupPlan{{GroupID: "g", Held: []string{"group g: too many"}}}}
	clean := model.Plan{Rule: "r", Groups: []model.GroupPlan{{GroupID: "g", Add: []string{"u"}}}}
	tests := []struct {
		name string
		plan model.Plan
		dry  bool
		want Gate
	}{
		{"clean plan passes", clean, false, Gate{Decision: model.GatePass}},
		{"held plan is held", held, false, Gate{Decision: model.GateHeld, Reasons: []string{"rule r: run: 4 deletions exceed max_deletes 3"}}},
		{"group hold holds the rule", groupHeld, false, Gate{Decision: model.GateHeld, Reasons: []string{"rule r: group g: too many"}}},
		{"dry run never passes", clean, true, Gate{Decision: model.GateDryRun}},
		{"dry run of a held plan says why it would hold", held, true, Gate{Decision: model.GateDryRun, Reasons: []string{"rule r: run: 4 deletions exceed max_deletes 3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.plan, tt.dry)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
