package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// notices records the jobs an engine announced as ended.
type notices struct {
	mu   sync.Mutex
	jobs []model.Job
}

func (n *notices) PublishChange(context.Context, model.ChangeEvent) error { return nil }

func (n *notices) JobEnded(_ context.Context, j model.Job) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.jobs = append(n.jobs, j)
	return nil
}

func (n *notices) statuses() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, j := range n.jobs {
		out = append(out, j.ID+" "+j.Status)
	}
	return out
}

// TestAuditRecord: a held job's totals count everything approval applies
// (disables included), its audit record names each user change it would
// make, and the approval records the same changes as made. Every ended
// job is announced once.
func TestAuditRecord(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "")
	n := &notices{}
	f.eng = engine.New(rules(t, mustConfig(t, "")), f.store, map[string]engine.Source{"corp": f.src},
		map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4, Events: n})
	first := f.run(t, engine.Request{})
	// a05..a09 leave eng-a and every other group (over the 10% limit);
	// a00 is renamed.
	f.src.setMembers("Ga", "a00", "a01", "a02", "a03", "a04")
	f.src.addUser("a00", "a00.renamed@example.com")
	held := f.run(t, engine.Request{})
	if held.Status != model.JobHeld {
		t.Fatalf("status: got %s, want held (errors %v)", held.Status, held.Errors)
	}
	run, err := f.store.RuleRun(ctx, held.ID, "eng")
	if err != nil {
		t.Fatal(err)
	}
	var planned []string
	for _, c := range run.Users {
		if !c.Planned {
			t.Errorf("held change %+v is not marked planned", c)
		}
		planned = append(planned, c.Action+" "+c.Email+" "+c.Was)
	}
	want := []string{"updated a00.renamed@example.com a00@example.com"}
	for _, id := range []string{"a05", "a06", "a07", "a08", "a09"} {
		want = append(want, "disabled "+id+"@example.com ")
	}
	if diff := cmp.Diff(want, planned); diff != "" {
		t.Errorf("held audit record (-want +got):\n%s", diff)
	}
	c := held.Counts
	if c.UsersDisabled != 5 || c.UsersUpdated != 1 || c.MembersRemove != 5 {
		t.Errorf("held totals: got %d disabled, %d updated, %d removed; want 5, 1, 5", c.UsersDisabled, c.UsersUpdated, c.MembersRemove)
	}

	approved, err := f.eng.Approve(ctx, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	if approved.Status != model.JobDone {
		t.Fatalf("approval: got %s, want done (errors %v)", approved.Status, approved.Errors)
	}
	if got, want := changes(approved.Counts), changes(held.Counts); got != want {
		t.Errorf("approval applied %d changes, want the %d the held job showed", got, want)
	}
	run, err = f.store.RuleRun(ctx, approved.ID, "eng")
	if err != nil {
		t.Fatal(err)
	}
	var done []string
	for _, c := range run.Users {
		if c.Planned {
			t.Errorf("applied change %+v is marked planned", c)
		}
		done = append(done, c.Action+" "+c.Email+" "+c.Was)
	}
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("applied audit record (-want +got):\n%s", diff)
	}
	wantNotices := []string{first.ID + " done", held.ID + " held", approved.ID + " done"}
	if diff := cmp.Diff(wantNotices, n.statuses()); diff != "" {
		t.Errorf("job notices (-want +got):\n%s", diff)
	}
}

func changes(c model.Counts) int {
	return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
		c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
}
