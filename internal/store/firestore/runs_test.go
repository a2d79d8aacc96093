package firestore

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// TestUpdateRuleRunAcrossClients races run updates against results through
// different clients: an update rewrites the job whole while results add to
// its done and counts in place, and neither may lose the other's change.
func TestUpdateRuleRunAcrossClients(t *testing.T) {
	ctx := t.Context()
	stores := clients(t, 4)
	if err := stores[0].CreateJob(ctx, model.Job{ID: "j", Status: model.JobRunning}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	if _, _, err := stores[0].CreateRuleRun(ctx, model.RuleRun{JobID: "j", Rule: "r"}); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	const updates, results = 6, 12
	var wg sync.WaitGroup
	for i := range updates {
		wg.Go(func() {
			note := fmt.Sprintf("update %d", i)
			_, _, err := stores[i%len(stores)].UpdateRuleRun(ctx, "j", "r", func(r *model.RuleRun, j *model.Job) bool {
				store.MergeGate(r, j, model.GatePass, nil, 3, j.Started)
				j.Errors = append(j.Errors, note)
				return true
			})
			if err != nil {
				t.Errorf("UpdateRuleRun: %v", err)
			}
		})
	}
	for i := range results {
		wg.Go(func() {
			r := model.GroupResult{JobID: "j", Rule: "r", GroupID: fmt.Sprintf("g%d", i), Counts: model.Counts{Groups: 1, MembersAdded: 2}}
			if _, _, err := stores[(i+1)%len(stores)].RecordGroupResult(ctx, r); err != nil {
				t.Errorf("RecordGroupResult: %v", err)
			}
		})
	}
	wg.Wait()
	j, err := stores[0].Job(ctx, "j")
	if err != nil {
		t.Fatalf("Job: %v", err)
	}
	if j.Done != results || j.Counts.Groups != results || j.Counts.MembersAdded != 2*results {
		t.Errorf("job Done %d, Counts.Groups %d, Counts.MembersAdded %d; want %d, %d, %d", j.Done, j.Counts.Groups, j.Counts.MembersAdded, results, results, 2*results)
	}
	if len(j.Errors) != updates || j.Total != 3 {
		t.Errorf("job has %d of %d updates (%q) and Total %d (want 3: the gate merged once)", len(j.Errors), updates, j.Errors, j.Total)
	}
}

// TestPutStagedAcrossClients stages every read of a rule twice through
// different clients, as function instances would: the in-process lock
// cannot help, yet the read that completes the rule must see the total,
// and no redelivery may count again.
func TestPutStagedAcrossClients(t *testing.T) {
	ctx := t.Context()
	stores := clients(t, 4)
	const groups = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ns []int
	for i := range 2 * groups {
		wg.Go(func() {
			m := model.Membership{Group: model.GroupInfo{ID: fmt.Sprintf("g%d", i%groups)}}
			n, err := stores[i%len(stores)].PutStaged(ctx, "j", "r", m)
			if err != nil {
				t.Errorf("PutStaged: %v", err)
				return
			}
			mu.Lock()
			ns = append(ns, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ns) == 0 || slices.Max(ns) != groups || slices.Min(ns) < 1 {
		t.Errorf("PutStaged counts %v: want all in 1..%d and the last at %d", ns, groups, groups)
	}
	n, err := stores[0].PutStaged(ctx, "j", "r", model.Membership{Group: model.GroupInfo{ID: "g0"}})
	if err != nil || n != groups {
		t.Errorf("PutStaged redelivered after all = %d, %v; want %d", n, err, groups)
	}
	reads, err := stores[1].Staged(ctx, "j", "r")
	if err != nil || len(reads) != groups {
		t.Errorf("Staged = %d reads, %v; want %d", len(reads), err, groups)
	}
}

// TestDropStagedBatches drops more documents than one commit takes,
// spilled parts included.
func TestDropStagedBatches(t *testing.T) {
	defer func(n int) { deleteBatch = n }(deleteBatch)
	deleteBatch = 3
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	var members []model.Member
	for i := range 30000 {
		members = append(members, model.Member{ID: fmt.Sprintf("1%020d", i*7919), Email: model.HashStrings(fmt.Sprint(i)) + "@example.com"})
	}
	big := model.Membership{Group: model.GroupInfo{ID: "big"}, Members: members}
	if _, err := s.PutStaged(ctx, "j", "r", big); err != nil {
		t.Fatalf("PutStaged(big): %v", err)
	}
	if n := s.countParts(t, s.stagedReadRef("j", "r", "big")); n < 2 {
		t.Fatalf("big read has %d parts, want at least 2 (test too small?)", n)
	}
	for i := range 7 {
		if _, err := s.PutStaged(ctx, "j", "r", model.Membership{Group: model.GroupInfo{ID: fmt.Sprintf("g%d", i)}}); err != nil {
			t.Fatalf("PutStaged: %v", err)
		}
	}
	if err := s.DropStaged(ctx, "j", "r"); err != nil {
		t.Fatalf("DropStaged: %v", err)
	}
	if n := s.countParts(t, s.stagedReadRef("j", "r", "big")); n != 0 {
		t.Errorf("after DropStaged, %d part documents remain", n)
	}
	docs, err := s.stagedRef("j", "r").Collection(colGroups).Documents(ctx).GetAll()
	if err != nil {
		t.Fatalf("listing staged reads: %v", err)
	}
	if len(docs) != 0 {
		t.Errorf("after DropStaged, %d staged reads remain", len(docs))
	}
	// The count went too: staging starts again from one.
	if n, err := s.PutStaged(ctx, "j", "r", model.Membership{Group: model.GroupInfo{ID: "g0"}}); err != nil || n != 1 {
		t.Errorf("PutStaged after DropStaged = %d, %v; want 1", n, err)
	}
}
