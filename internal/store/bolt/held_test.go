package bolt

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bolt "go.etcd.io/bbolt"

	"github.com/groupsync/groupsync/internal/model"
)

// bigPlan is a held plan of n groups of members each.
func bigPlan(jobID string, n, members int) model.HeldPlan {
	h := model.HeldPlan{JobID: jobID, Rule: "r", Decision: model.GateHeld, Reasons: []string{"too many"}}
	for g := range n {
		gp := model.GroupPlan{GroupID: fmt.Sprintf("g%04d", g), Email: fmt.Sprintf("g%04d@example.com", g)}
		for m := range members {
			gp.Add = append(gp.Add, fmt.Sprintf("u%06d", g*members+m))
		}
		h.Plan.Groups = append(h.Plan.Groups, gp)
	}
	for u := range n * members / 5 {
		h.Plan.CreateUsers = append(h.Plan.CreateUsers, model.User{ID: fmt.Sprintf("u%06d", u), Email: fmt.Sprintf("u%06d@example.com", u)})
	}
	return h
}

// TestPlanChunks: a plan larger than a chunk is stored in several
// transactions and reads back whole through Plan and Held; storing it
// again replaces the chunks.
func TestPlanChunks(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	want := bigPlan("j1", 300, 250) // 75,000 members, 15,000 users to create
	before := s.Writes()
	if err := s.PutPlan(ctx, want); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	if got := s.Writes() - before; got != 8 {
		t.Errorf("commits: got %d, want 8 (four chunks of groups, three of users and the head)", got)
	}
	got, ok, err := s.Plan(ctx, "j1", "r")
	if err != nil || !ok {
		t.Fatalf("Plan: ok %v, err %v", ok, err)
	}
	opts := cmpopts.EquateEmpty()
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
	held, err := s.Held(ctx, "j1")
	if err != nil || len(held) != 1 {
		t.Fatalf("Held: %d plans, err %v; want 1", len(held), err)
	}
	if diff := cmp.Diff(want, held[0], opts); diff != "" {
		t.Errorf("Held (-want +got):\n%s", diff)
	}

	smaller := bigPlan("j1", 2, 3)
	if err := s.PutPlan(ctx, smaller); err != nil {
		t.Fatalf("PutPlan again: %v", err)
	}
	if got, _, _ := s.Plan(ctx, "j1", "r"); !cmp.Equal(smaller, got, opts) {
		t.Errorf("Plan after replacing: got %d groups, want %d", len(got.Plan.Groups), len(smaller.Plan.Groups))
	}
	keys := 0
	s.db.View(func(tx *bolt.Tx) error {
		return nested(tx, bucketHeld, "j1", "r"+groupsSuffix).ForEach(func(k, v []byte) error { keys++; return nil })
	})
	if keys != 2 {
		t.Errorf("chunks left after replacing: got %d, want 2 (one of groups, one of users; the old generation dropped)", keys)
	}
}

// TestPlanStoredWhole: a plan stored whole by an earlier version reads
// back.
func TestPlanStoredWhole(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	want := bigPlan("j1", 3, 2)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := create(tx, bucketHeld, "j1")
		if err != nil {
			return err
		}
		return put(b, "r", want)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Plan(ctx, "j1", "r")
	if err != nil || !ok {
		t.Fatalf("Plan: ok %v, err %v", ok, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
}
