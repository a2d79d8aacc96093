package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// fanOut runs a job the way the cloud does: Dispatch, then one SyncGroup
// per task.
func (f *fixture) fanOut(t *testing.T, req engine.Request) (model.Job, []engine.Task) {
	t.Helper()
	ctx := context.Background()
	job, tasks, err := f.eng.Dispatch(ctx, req)
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	for _, task := range tasks {
		if _, err := f.eng.SyncGroup(ctx, task); err != nil {
			t.Fatalf("SyncGroup(%s): %v", task.Group.Email, err)
		}
	}
	job, err = f.store.Job(ctx, job.ID)
	if err != nil {
		t.Fatalf("Job: %v", err)
	}
	return job, tasks
}

func TestFanOutConvergesAndRedeliveryChangesNothing(t *testing.T) {
	f := newFixture(t, "")
	job, tasks := f.fanOut(t, engine.Request{})
	if job.Status != model.JobDone || job.Done != 3 || job.Total != 3 {
		t.Fatalf("job: got %s %d/%d, want done 3/3 (errors %v)", job.Status, job.Done, job.Total, job.Errors)
	}
	if diff := cmp.Diff(emails("c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09"), f.tgt.members("eng-c@example.com")); diff != "" {
		t.Errorf("eng-c (-want +got):\n%s", diff)
	}
	tw, sw := f.tgt.writeCount(), f.store.Count()
	// Redeliver every task, twice at once.
	var wg sync.WaitGroup
	for _, task := range append(tasks, tasks...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.eng.SyncGroup(context.Background(), task) // a busy lease asks for a retry: fine here
		}()
	}
	wg.Wait()
	if got := f.tgt.writeCount() - tw; got != 0 {
		t.Errorf("target writes on redelivery: got %d, want 0", got)
	}
	if got := f.store.Count() - sw; got != 0 {
		t.Errorf("store writes on redelivery: got %d, want 0", got)
	}
	again, err := f.store.Job(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Done != 3 || again.Counts.MembersAdded != job.Counts.MembersAdded {
		t.Errorf("job after redelivery: got done %d added %d, want 3 and %d", again.Done, again.Counts.MembersAdded, job.Counts.MembersAdded)
	}
}

func TestFanOutDeprovisionsAtFinish(t *testing.T) {
	f := newFixture(t, "100%")
	f.fanOut(t, engine.Request{})
	// c09 leaves eng-c and is in no other group: disabled when the job finishes.
	f.src.setMembers("Gc", "c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08")
	job, _ := f.fanOut(t, engine.Request{})
	if job.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (held %v errors %v)", job.Status, job.Held, job.Errors)
	}
	if job.Counts.UsersDisabled != 1 || job.Counts.MembersRemove != 1 {
		t.Errorf("counts: got %d disabled, %d removed, want 1 and 1", job.Counts.UsersDisabled, job.Counts.MembersRemove)
	}
}

func TestConcurrentFinishDeprovisionsOnce(t *testing.T) {
	f := newFixture(t, "100%")
	f.fanOut(t, engine.Request{})
	f.src.setMembers("Gc", "c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08")
	ctx := context.Background()
	job, tasks, err := f.eng.Dispatch(ctx, engine.Request{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.eng.SyncGroup(ctx, task); err != nil {
				t.Errorf("SyncGroup: %v", err)
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.eng.Finish(ctx, job.ID)
		}()
	}
	wg.Wait()
	got, err := f.eng.Finish(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != model.JobDone || got.Counts.UsersDisabled != 1 {
		t.Errorf("job: got %s with %d disabled, want done with 1", got.Status, got.Counts.UsersDisabled)
	}
}

func TestDispatchResumesAJobThatNeverFannedOut(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	// A first delivery wrote the job and died before fanning out.
	stuck := model.Job{ID: "job-1", Trigger: model.TriggerHTTP, Status: model.JobRunning}
	if err := f.store.CreateJob(ctx, stuck); err != nil {
		t.Fatal(err)
	}
	job, tasks, err := f.eng.Dispatch(ctx, engine.Request{JobID: "job-1", Trigger: model.TriggerHTTP})
	if err != nil {
		t.Fatalf("Dispatch of a stuck job: %v", err)
	}
	if job.ID != "job-1" || len(tasks) != 3 || job.Total != 3 {
		t.Fatalf("resumed: got job %s with %d tasks, total %d; want job-1 with 3", job.ID, len(tasks), job.Total)
	}
	// Once fanned out, a further redelivery is refused.
	if _, _, err := f.eng.Dispatch(ctx, engine.Request{JobID: "job-1"}); err == nil {
		t.Error("Dispatch of a fanned-out job: got nil error, want a refusal")
	}
}

func TestApproveFannedOutHeldGroup(t *testing.T) {
	f := newFixture(t, "")
	f.fanOut(t, engine.Request{})
	f.src.setMembers("Ga", "a00", "a01", "a02", "a03")
	held, _ := f.fanOut(t, engine.Request{})
	if held.Status != model.JobHeld {
		t.Fatalf("status: got %s, want held", held.Status)
	}
	if got := len(f.tgt.members("eng-a@example.com")); got != 10 {
		t.Fatalf("eng-a members while held: got %d, want 10", got)
	}
	// The source changes: approval is refused.
	f.src.setMembers("Ga", "a00", "a01", "a02")
	if _, err := f.eng.Approve(context.Background(), held.ID); !errors.Is(err, engine.ErrSourceChanged) {
		t.Fatalf("Approve after change: got %v, want ErrSourceChanged", err)
	}
	// Back as reviewed: approval applies the held group.
	f.src.setMembers("Ga", "a00", "a01", "a02", "a03")
	job, err := f.eng.Approve(context.Background(), held.ID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if job.Status != model.JobDone {
		t.Errorf("approve job: got %s, want done", job.Status)
	}
	if diff := cmp.Diff(emails("a00", "a01", "a02", "a03"), f.tgt.members("eng-a@example.com")); diff != "" {
		t.Errorf("eng-a after approve (-want +got):\n%s", diff)
	}
}
