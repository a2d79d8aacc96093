package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

func snapshot(rule, groupID string, members ...string) model.Snapshot {
	return model.Snapshot{
		Rule:      rule,
		GroupID:   groupID,
		Email:     groupID + "@example.com",
		Name:      "Group " + groupID,
		MemberIDs: members,
		Hash:      model.HashStrings(append([]string{groupID}, members...)...),
		Updated:   t0,
	}
}

func testSnapshotRoundTrip(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, ok, err := s.Snapshot(ctx, "r1", "g1"); err != nil || ok {
		t.Fatalf("Snapshot of empty store = ok %v, err %v; want false, nil", ok, err)
	}
	want := snapshot("r1", "g1", "u1", "u2", "u3")
	must(t, "PutSnapshot", s.PutSnapshot(ctx, want))
	got, ok, err := s.Snapshot(ctx, "r1", "g1")
	must(t, "Snapshot", err)
	if !ok {
		t.Fatal("Snapshot: ok = false after PutSnapshot")
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Snapshot mismatch (-want +got):\n%s", diff)
	}
	// Same group ID under another rule is a different snapshot.
	if _, ok, err := s.Snapshot(ctx, "r2", "g1"); err != nil || ok {
		t.Errorf("Snapshot(r2, g1) = ok %v, err %v; want false, nil", ok, err)
	}

	// An empty membership and an empty hash (partial apply) survive too.
	empty := snapshot("r1", "g2")
	empty.Hash = ""
	must(t, "PutSnapshot", s.PutSnapshot(ctx, empty))
	got, ok, err = s.Snapshot(ctx, "r1", "g2")
	must(t, "Snapshot", err)
	if !ok {
		t.Fatal("Snapshot(g2): ok = false")
	}
	if diff := cmp.Diff(empty, got, cmpOpts...); diff != "" {
		t.Errorf("empty Snapshot mismatch (-want +got):\n%s", diff)
	}
}

// testSnapshotLarge stores a membership far larger than one Firestore
// document can hold, to make chunking stores prove their reassembly.
func testSnapshotLarge(t *testing.T, s engine.Store) {
	ctx := t.Context()
	ids := make([]string, 50000)
	for i := range ids {
		ids[i] = fmt.Sprintf("1%020d", i*7919) // 21 digits, like Google IDs
	}
	want := snapshot("r1", "big", ids...)
	must(t, "PutSnapshot", s.PutSnapshot(ctx, want))
	got, ok, err := s.Snapshot(ctx, "r1", "big")
	must(t, "Snapshot", err)
	if !ok {
		t.Fatal("Snapshot: ok = false")
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Snapshot mismatch (-want +got):\n%s", diff)
	}

	// Shrinking must not leave stale members behind.
	small := snapshot("r1", "big", ids[:3]...)
	must(t, "PutSnapshot", s.PutSnapshot(ctx, small))
	all, err := s.Snapshots(ctx, "r1")
	must(t, "Snapshots", err)
	if diff := cmp.Diff([]model.Snapshot{small}, all, cmpOpts...); diff != "" {
		t.Errorf("Snapshots after shrink mismatch (-want +got):\n%s", diff)
	}
}

func testSnapshotOverwrite(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r1", "g1", "u1", "u2")))
	want := snapshot("r1", "g1", "u3")
	want.Email = "renamed@example.com"
	must(t, "PutSnapshot", s.PutSnapshot(ctx, want))
	got, _, err := s.Snapshot(ctx, "r1", "g1")
	must(t, "Snapshot", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Snapshot mismatch (-want +got):\n%s", diff)
	}
}

func testSnapshotsSorted(t *testing.T, s engine.Store) {
	ctx := t.Context()
	got, err := s.Snapshots(ctx, "r1")
	must(t, "Snapshots", err)
	if len(got) != 0 {
		t.Fatalf("Snapshots of empty store = %d snapshots, want 0", len(got))
	}
	var want []model.Snapshot
	for _, id := range []string{"g3", "g1", "g10", "g2"} {
		sn := snapshot("r1", id, "u-"+id)
		must(t, "PutSnapshot", s.PutSnapshot(ctx, sn))
		want = append(want, sn)
	}
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r2", "g0", "x")))
	want = []model.Snapshot{want[1], want[2], want[3], want[0]} // g1 g10 g2 g3
	got, err = s.Snapshots(ctx, "r1")
	must(t, "Snapshots", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Snapshots mismatch (-want +got):\n%s", diff)
	}
}

func testDeleteSnapshot(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r1", "g1", "u1")))
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r1", "g2", "u2")))
	must(t, "PutSnapshot", s.PutSnapshot(ctx, snapshot("r2", "g1", "u1")))
	must(t, "DeleteSnapshot", s.DeleteSnapshot(ctx, "r1", "g1"))
	if _, ok, err := s.Snapshot(ctx, "r1", "g1"); err != nil || ok {
		t.Errorf("Snapshot after delete = ok %v, err %v; want false, nil", ok, err)
	}
	for _, k := range [][2]string{{"r1", "g2"}, {"r2", "g1"}} {
		if _, ok, err := s.Snapshot(ctx, k[0], k[1]); err != nil || !ok {
			t.Errorf("Snapshot(%s, %s) after deleting r1/g1 = ok %v, err %v; want true, nil", k[0], k[1], ok, err)
		}
	}
	// Deleting what is not there is not an error.
	must(t, "DeleteSnapshot (absent)", s.DeleteSnapshot(ctx, "r1", "g1"))
	must(t, "DeleteSnapshot (absent rule)", s.DeleteSnapshot(ctx, "nope", "g1"))
}
