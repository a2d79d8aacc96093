package store

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/model"
)

func TestSplitPlan(t *testing.T) {
	group := func(id string, n int) model.GroupPlan {
		gp := model.GroupPlan{GroupID: id}
		for i := range n {
			gp.Add = append(gp.Add, fmt.Sprint(id, i))
		}
		return gp
	}
	for _, tc := range []struct {
		name       string
		sizes      []int
		users      int
		wantChunks []int // groups per chunk
		wantUsers  int   // user chunks
	}{
		{"empty", nil, 0, nil, 0},
		{"small groups share a chunk", []int{10, 10, 10}, 3, []int{3}, 1},
		{"a large group is a chunk of its own", []int{10, PlanChunk + 5, 10}, 0, []int{2, 1}, 0},
		{"chunks of about PlanChunk IDs", []int{PlanChunk / 2, PlanChunk / 2, PlanChunk / 2}, 0, []int{2, 1}, 0},
		{"users in chunks of UsersChunk", nil, UsersChunk*2 + 1, nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := model.HeldPlan{JobID: "j", Rule: "r", Decision: "pass"}
			for i, n := range tc.sizes {
				h.Plan.Groups = append(h.Plan.Groups, group(fmt.Sprint("g", i), n))
			}
			for i := range tc.users {
				h.Plan.CreateUsers = append(h.Plan.CreateUsers, model.User{ID: fmt.Sprint("u", i)})
			}
			head, groups, users, err := SplitPlan(h)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			var joined []model.GroupPlan
			for _, c := range groups {
				got = append(got, len(c))
				joined = append(joined, c...)
			}
			if diff := cmp.Diff(tc.wantChunks, got); diff != "" {
				t.Errorf("groups per chunk (-want +got):\n%s", diff)
			}
			if len(users) != tc.wantUsers {
				t.Errorf("user chunks: got %d, want %d", len(users), tc.wantUsers)
			}
			var joinedUsers []model.User
			for _, c := range users {
				joinedUsers = append(joinedUsers, c...)
			}
			// The chunks and the head are the whole plan again.
			if diff := cmp.Diff(h.Plan.Groups, joined, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("joined chunks (-plan +chunks):\n%s", diff)
			}
			if diff := cmp.Diff(h.Plan.CreateUsers, joinedUsers, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("joined user chunks (-plan +chunks):\n%s", diff)
			}
			if head.Plan.Groups != nil || head.Plan.CreateUsers != nil || head.Gen == "" || head.Decision != "pass" {
				t.Errorf("head: %d groups, %d users, gen %q, decision %q; want none, none, a generation, pass",
					len(head.Plan.Groups), len(head.Plan.CreateUsers), head.Gen, head.Decision)
			}
			if head.Chunks != len(groups) || head.UserChunks != len(users) {
				t.Errorf("head counts %d/%d chunks, want %d/%d", head.Chunks, head.UserChunks, len(groups), len(users))
			}
		})
	}
	a, _, _, _ := SplitPlan(model.HeldPlan{})
	b, _, _, _ := SplitPlan(model.HeldPlan{})
	if a.Gen == b.Gen {
		t.Errorf("two splits share generation %q, want each its own", a.Gen)
	}
}
