package firestore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
)

// commitLimit is Firestore's limit on one request, a commit included.
const commitLimit = 10 << 20

// TestPlanOverCommitLimit stores and reads back a plan whose gzipped JSON
// alone is over the limit on one commit: 1.5 million member IDs, as a rule
// of size L has. Stored in one commit, it fails on Firestore.
func TestPlanOverCommitLimit(t *testing.T) {
	s := open(t)
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	h := model.HeldPlan{JobID: "j", Rule: "r", Decision: "pass"}
	members := 0
	for g := range 100 {
		gp := model.GroupPlan{GroupID: fmt.Sprint("g", g), Add: make([]string, 15_000)}
		for i := range gp.Add {
			gp.Add[i] = fmt.Sprintf("1%020d", r.Uint64())
		}
		members += len(gp.Add)
		h.Plan.Groups = append(h.Plan.Groups, gp)
	}
	if n := gzipSize(t, h); n <= commitLimit {
		t.Fatalf("test plan gzips to %d bytes, want over %d (test too small?)", n, commitLimit)
	}
	if err := s.PutPlan(t.Context(), h); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	got, ok, err := s.Plan(t.Context(), "j", "r")
	if err != nil || !ok {
		t.Fatalf("Plan: ok %v, err %v", ok, err)
	}
	gotMembers := 0
	for i, gp := range got.Plan.Groups {
		gotMembers += len(gp.Add)
		if gp.GroupID != h.Plan.Groups[i].GroupID || gp.Add[0] != h.Plan.Groups[i].Add[0] {
			t.Fatalf("group %d: got %s starting %s, want %s starting %s", i, gp.GroupID, gp.Add[0], h.Plan.Groups[i].GroupID, h.Plan.Groups[i].Add[0])
		}
	}
	if len(got.Plan.Groups) != len(h.Plan.Groups) || gotMembers != members || got.Decision != "pass" {
		t.Errorf("read back %d groups, %d members, decision %q; want %d, %d, pass", len(got.Plan.Groups), gotMembers, got.Decision, len(h.Plan.Groups), members)
	}
}

func gzipSize(t *testing.T, v any) int {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Len()
}
