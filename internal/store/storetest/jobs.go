package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

func job(id, rule string, started time.Time) model.Job {
	return model.Job{
		ID:      id,
		Trigger: model.TriggerCLI,
		Rule:    rule,
		Status:  model.JobRunning,
		Started: started,
		Total:   3,
	}
}

func testJobRoundTrip(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if _, err := s.Job(ctx, "j1"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Job of empty store: err = %v, want ErrNotFound", err)
	}
	want := model.Job{
		ID:        "j1",
		Trigger:   model.TriggerApprove,
		Rule:      "r1",
		Group:     "eng@example.com",
		DryRun:    true,
		Force:     true,
		ApproveOf: "j0",
		Status:    model.JobPartial,
		Started:   t0,
		Finished:  t0.Add(time.Minute),
		Total:     4,
		Done:      4,
		Counts:    model.Counts{Groups: 4, Unchanged: 1, MembersAdded: 9, Errors: 1},
		Errors:    []string{"boom"},
		Held:      []string{"r2"},
	}
	must(t, "CreateJob", s.CreateJob(ctx, want))
	got, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Job mismatch (-want +got):\n%s", diff)
	}
}

// testCreateJobExists checks that a retried create cannot reset a job.
func testCreateJobExists(t *testing.T, s engine.Store) {
	ctx := t.Context()
	want := job("j1", "r1", t0)
	must(t, "CreateJob", s.CreateJob(ctx, want))
	again := job("j1", "r2", t0.Add(time.Hour))
	again.Done = 2
	if err := s.CreateJob(ctx, again); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateJob of a taken ID: err = %v, want one wrapping store.ErrExists", err)
	}
	got, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Job after second CreateJob mismatch (-want +got):\n%s", diff)
	}
}

func testJobsNewestFirst(t *testing.T, s engine.Store) {
	ctx := t.Context()
	got, err := s.Jobs(ctx, 10)
	must(t, "Jobs", err)
	if len(got) != 0 {
		t.Fatalf("Jobs of empty store = %d jobs, want 0", len(got))
	}
	// IDs deliberately do not sort like their start times.
	var jobs []model.Job
	for i, id := range []string{"c", "a", "e", "b", "d"} {
		j := job(id, "r1", t0.Add(time.Duration(i)*time.Minute))
		must(t, "CreateJob", s.CreateJob(ctx, j))
		jobs = append(jobs, j)
	}
	newest := []model.Job{jobs[4], jobs[3], jobs[2], jobs[1], jobs[0]}
	for _, limit := range []int{1, 3, 5, 100} {
		got, err := s.Jobs(ctx, limit)
		must(t, "Jobs", err)
		want := newest[:min(limit, len(newest))]
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("Jobs(%d) mismatch (-want +got):\n%s", limit, diff)
		}
	}
}

func testUpdateJob(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	must(t, "CreateJob", s.CreateJob(ctx, job("j2", "r1", t0)))
	got, err := s.UpdateJob(ctx, "j1", func(j *model.Job) error {
		j.Status = model.JobDone
		j.Finished = t0.Add(time.Hour)
		j.Errors = append(j.Errors, "e1")
		return nil
	})
	must(t, "UpdateJob", err)
	want := job("j1", "r1", t0)
	want.Status = model.JobDone
	want.Finished = t0.Add(time.Hour)
	want.Errors = []string{"e1"}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("UpdateJob result mismatch (-want +got):\n%s", diff)
	}
	stored, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if diff := cmp.Diff(want, stored, cmpOpts...); diff != "" {
		t.Errorf("Job after UpdateJob mismatch (-want +got):\n%s", diff)
	}
	other, err := s.Job(ctx, "j2")
	must(t, "Job", err)
	if diff := cmp.Diff(job("j2", "r1", t0), other, cmpOpts...); diff != "" {
		t.Errorf("UpdateJob(j1) changed j2 (-want +got):\n%s", diff)
	}
}

// testUpdateJobError checks that an error from fn aborts the update.
func testUpdateJobError(t *testing.T, s engine.Store) {
	ctx := t.Context()
	want := job("j1", "r1", t0)
	must(t, "CreateJob", s.CreateJob(ctx, want))
	errFn := errors.New("fn failed")
	_, err := s.UpdateJob(ctx, "j1", func(j *model.Job) error {
		j.Status = model.JobFailed
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Errorf("UpdateJob: err = %v, want one wrapping %v", err, errFn)
	}
	got, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Job after failed UpdateJob mismatch (-want +got):\n%s", diff)
	}
}

func testUpdateJobNotFound(t *testing.T, s engine.Store) {
	ctx := t.Context()
	called := false
	_, err := s.UpdateJob(ctx, "nope", func(*model.Job) error {
		called = true
		return nil
	})
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateJob of missing job: err = %v, want ErrNotFound", err)
	}
	if called {
		t.Error("UpdateJob of missing job called fn")
	}
	if _, err := s.Job(ctx, "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Job after UpdateJob of missing job: err = %v, want ErrNotFound", err)
	}
}

// testUpdateJobConcurrent increments a counter from many goroutines: a
// store whose UpdateJob is not a real read-modify-write transaction loses
// increments.
func testUpdateJobConcurrent(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := s.UpdateJob(ctx, "j1", func(j *model.Job) error {
					j.Done++
					return nil
				}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("UpdateJob: %v", err)
	}
	got, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if got.Done != workers*each {
		t.Errorf("Done after %d concurrent increments = %d", workers*each, got.Done)
	}
}

func result(jobID, rule, groupID, email string, c model.Counts) model.GroupResult {
	return model.GroupResult{
		JobID:   jobID,
		Rule:    rule,
		GroupID: groupID,
		Email:   email,
		Status:  model.GroupApplied,
		Plan: model.GroupPlan{
			GroupID: groupID,
			Email:   email,
			Add:     []string{"u1", "u2"},
			Remove:  []string{"u3"},
			Hash:    "h-" + groupID,
		},
		Counts:   c,
		Problems: []string{"p"},
		Cycles:   [][]string{{"a", "b", "a"}},
		Started:  t0,
		Finished: t0.Add(time.Second),
	}
}

func testRecordGroupResult(t *testing.T, s engine.Store) {
	ctx := t.Context()
	start := job("j1", "r1", t0)
	start.Counts = model.Counts{Errors: 1}
	must(t, "CreateJob", s.CreateJob(ctx, start))

	before := time.Now().Add(-time.Second)
	r1 := result("j1", "r1", "g1", "g1@example.com", model.Counts{Groups: 1, MembersAdded: 2, MembersRemove: 1})
	j, first, err := s.RecordGroupResult(ctx, r1)
	must(t, "RecordGroupResult", err)
	if !first {
		t.Error("first RecordGroupResult: first = false")
	}
	// A result is progress: the stuck-job reaper reads Updated.
	if !j.Updated.After(before) {
		t.Errorf("RecordGroupResult left Updated at %v, want it bumped", j.Updated)
	}
	want := start
	want.Done = 1
	want.Counts = model.Counts{Groups: 1, MembersAdded: 2, MembersRemove: 1, Errors: 1}
	want.Updated = j.Updated
	if diff := cmp.Diff(want, j, cmpOpts...); diff != "" {
		t.Errorf("RecordGroupResult job mismatch (-want +got):\n%s", diff)
	}

	// Redelivery of the same group, even with different content, changes
	// nothing.
	again := r1
	again.Status = model.GroupFailed
	again.Counts = model.Counts{Groups: 1, Errors: 5}
	j, first, err = s.RecordGroupResult(ctx, again)
	must(t, "RecordGroupResult (again)", err)
	if first {
		t.Error("second RecordGroupResult: first = true")
	}
	if diff := cmp.Diff(want, j, cmpOpts...); diff != "" {
		t.Errorf("second RecordGroupResult job mismatch (-want +got):\n%s", diff)
	}
	stored, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if diff := cmp.Diff(want, stored, cmpOpts...); diff != "" {
		t.Errorf("Job after redelivery mismatch (-want +got):\n%s", diff)
	}
	results, err := s.GroupResults(ctx, "j1")
	must(t, "GroupResults", err)
	if diff := cmp.Diff([]model.GroupResult{r1}, results, cmpOpts...); diff != "" {
		t.Errorf("GroupResults mismatch (-want +got):\n%s", diff)
	}

	// The same group under another rule is another result.
	r2 := result("j1", "r2", "g1", "g1@example.com", model.Counts{Groups: 1, Unchanged: 1})
	j, first, err = s.RecordGroupResult(ctx, r2)
	must(t, "RecordGroupResult (r2)", err)
	if !first || j.Done != 2 || j.Counts.Unchanged != 1 || j.Counts.MembersAdded != 2 {
		t.Errorf("RecordGroupResult(r2) = first %v, Done %d, Counts %+v; want true, 2, Unchanged 1 and MembersAdded 2", first, j.Done, j.Counts)
	}
}

func testRecordGroupResultNotFound(t *testing.T, s engine.Store) {
	ctx := t.Context()
	_, _, err := s.RecordGroupResult(ctx, result("nope", "r1", "g1", "g1@example.com", model.Counts{Groups: 1}))
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("RecordGroupResult for missing job: err = %v, want ErrNotFound", err)
	}
}

func testRecordGroupResultConcurrent(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	const groups = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	errs := make(chan error, 2*groups)
	// Every group is delivered twice, concurrently: each must count once.
	for i := range 2 * groups {
		wg.Go(func() {
			g := fmt.Sprintf("g%02d", i%groups)
			r := result("j1", "r1", g, g+"@example.com", model.Counts{Groups: 1, MembersAdded: 3})
			r.Finished = r.Finished.Add(time.Duration(i) * time.Millisecond) // redeliveries differ
			_, first, err := s.RecordGroupResult(ctx, r)
			if err != nil {
				errs <- err
				return
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("RecordGroupResult: %v", err)
	}
	if firsts != groups {
		t.Errorf("RecordGroupResult returned first = true %d times, want %d", firsts, groups)
	}
	got, err := s.Job(ctx, "j1")
	must(t, "Job", err)
	if got.Done != groups || got.Counts.Groups != groups || got.Counts.MembersAdded != 3*groups {
		t.Errorf("Job after %d concurrent results: Done %d, Counts.Groups %d, Counts.MembersAdded %d; want %d, %d, %d",
			groups, got.Done, got.Counts.Groups, got.Counts.MembersAdded, groups, groups, 3*groups)
	}
	results, err := s.GroupResults(ctx, "j1")
	must(t, "GroupResults", err)
	if len(results) != groups {
		t.Errorf("GroupResults = %d results, want %d", len(results), groups)
	}
}

func testGroupResultsSorted(t *testing.T, s engine.Store) {
	ctx := t.Context()
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	must(t, "CreateJob", s.CreateJob(ctx, job("j2", "r1", t0)))
	// Group IDs sort opposite to emails, so sorting by ID is caught.
	in := []model.GroupResult{
		result("j1", "rb", "g1", "zed@example.com", model.Counts{}),
		result("j1", "ra", "g2", "bob@example.com", model.Counts{}),
		result("j1", "rb", "g3", "amy@example.com", model.Counts{}),
		result("j1", "ra", "g4", "abe@example.com", model.Counts{}),
		result("j2", "ra", "g5", "aaa@example.com", model.Counts{}),
	}
	for _, r := range in {
		if _, _, err := s.RecordGroupResult(ctx, r); err != nil {
			t.Fatalf("RecordGroupResult: %v", err)
		}
	}
	got, err := s.GroupResults(ctx, "j1")
	must(t, "GroupResults", err)
	want := []model.GroupResult{in[3], in[1], in[2], in[0]}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("GroupResults mismatch (-want +got):\n%s", diff)
	}
	none, err := s.GroupResults(ctx, "j3")
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GroupResults of missing job: %v", err)
	}
	if len(none) != 0 {
		t.Errorf("GroupResults of missing job = %d results, want 0", len(none))
	}
}

func testCountResults(t *testing.T, s engine.Store) {
	ctx := t.Context()
	if n, err := s.CountResults(ctx, "nope", "r1"); err != nil || n != 0 {
		t.Errorf("CountResults of missing job = %d, %v; want 0, nil", n, err)
	}
	must(t, "CreateJob", s.CreateJob(ctx, job("j1", "r1", t0)))
	must(t, "CreateJob", s.CreateJob(ctx, job("j2", "r1", t0)))
	// "r1x" shares a prefix with "r1", and a redelivered result is one.
	for _, r := range []model.GroupResult{
		result("j1", "r1", "g1", "g1@example.com", model.Counts{}),
		result("j1", "r1", "g2", "g2@example.com", model.Counts{}),
		result("j1", "r1", "g2", "g2@example.com", model.Counts{}),
		result("j1", "r1x", "g3", "g3@example.com", model.Counts{}),
		result("j1", "r2", "g1", "g1@example.com", model.Counts{}),
		result("j2", "r1", "g9", "g9@example.com", model.Counts{}),
	} {
		if _, _, err := s.RecordGroupResult(ctx, r); err != nil {
			t.Fatalf("RecordGroupResult: %v", err)
		}
	}
	for _, tt := range []struct {
		job, rule string
		want      int
	}{
		{"j1", "r1", 2},
		{"j1", "r1x", 1},
		{"j1", "r2", 1},
		{"j1", "r3", 0},
		{"j2", "r1", 1},
	} {
		n, err := s.CountResults(ctx, tt.job, tt.rule)
		must(t, "CountResults", err)
		if n != tt.want {
			t.Errorf("CountResults(%s, %s) = %d, want %d", tt.job, tt.rule, n, tt.want)
		}
	}
}
