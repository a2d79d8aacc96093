package functions

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/runmatrix"
	"github.com/groupsync/groupsync/internal/store/firestore"
)

// TestMatrix runs the run algorithm's scenario matrix on both runners:
// the CLI's in-process queue, and the cloud's Pub/Sub topics on the real
// emulators with the functions under the functions framework. Both must
// leave the same target, job statuses and counts.
func TestMatrix(t *testing.T) {
	runmatrix.Run(t, map[string]func(t *testing.T) (runmatrix.Runner, string){
		"local": func(t *testing.T) (runmatrix.Runner, string) {
			l := runmatrix.NewLocal(t)
			return l, l.StoreURL()
		},
		"cloud": newCloudRunner,
	})
}

// cloudRunner drives the deployed shape: triggers are published to
// groupsync-runs as Cloud Scheduler or the Sync function would, push
// subscriptions deliver every step to Dispatch and SyncGroup, and the job
// is read back from Firestore.
type cloudRunner struct {
	e     *e2e
	store *firestore.Store
	runs  *pubsub.Publisher
}

func newCloudRunner(t *testing.T) (runmatrix.Runner, string) {
	e := newE2E(t)
	st, err := newStore(t, e)
	if err != nil {
		t.Fatal(err)
	}
	runs := e.ps.Publisher(e.topic(topicRuns))
	t.Cleanup(runs.Stop)
	return &cloudRunner{e: e, store: st, runs: runs}, "firestore://projects/" + e.project + "/databases/(default)"
}

// deploy makes the functions run with cfg, as a new deployment would.
func (c *cloudRunner) deploy(t *testing.T, cfg string) {
	t.Setenv(envConfigYAML, cfg)
	resetRuntime()
}

// trigger publishes a run message and returns the job ID it will have.
func (c *cloudRunner) trigger(t *testing.T, req engine.Request) string {
	t.Helper()
	body, err := json.Marshal(runMessage{Trigger: req.Trigger, Rule: req.Rule, Group: req.Group, DryRun: req.DryRun, Force: req.Force, JobID: req.JobID})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.runs.Publish(t.Context(), &pubsub.Message{Data: body}).Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if req.JobID != "" {
		return req.JobID
	}
	// A scheduled run's job ID derives from its message ID.
	var job string
	waitFor(t, "the scheduled job to be created", func() bool {
		jobs, err := c.store.Jobs(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if strings.HasSuffix(j.ID, "-m"+id) {
				job = j.ID
				return true
			}
		}
		return false
	})
	return job
}

func (c *cloudRunner) wait(t *testing.T, id string) model.Job {
	t.Helper()
	var j model.Job
	waitFor(t, "job "+id+" to end", func() bool {
		var err error
		j, err = c.store.Job(t.Context(), id)
		return err == nil && j.Status != model.JobRunning
	})
	// Late duplicate deliveries of the last steps are harmless, but let
	// them land before the next deployment.
	time.Sleep(200 * time.Millisecond)
	return j
}

func (c *cloudRunner) Sync(t *testing.T, cfg string, req engine.Request) model.Job {
	t.Helper()
	c.deploy(t, cfg)
	return c.wait(t, c.trigger(t, req))
}

func (c *cloudRunner) SyncTogether(t *testing.T, cfg string, reqs ...engine.Request) []model.Job {
	t.Helper()
	c.deploy(t, cfg)
	ids := make([]string, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() { ids[i] = c.trigger(t, req) })
	}
	wg.Wait()
	jobs := make([]model.Job, len(ids))
	for i, id := range ids {
		jobs[i] = c.wait(t, id)
	}
	return jobs
}

func (c *cloudRunner) Redeliver(t *testing.T, cfg string, req engine.Request) []model.Job {
	t.Helper()
	c.deploy(t, cfg)
	acked := c.e.dispatch.acked.Load()
	c.trigger(t, req)
	waitFor(t, "the redelivered trigger to be acknowledged", func() bool { return c.e.dispatch.acked.Load() > acked })
	time.Sleep(500 * time.Millisecond)
	jobs, err := c.store.Jobs(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// Approve approves through the Sync function's HTTP API, as an operator
// (or `groupsync approve --remote`) does: a job that is not held is a 409;
// a source that changed is a refusal recorded as the approval's job.
func (c *cloudRunner) Approve(t *testing.T, cfg string, jobID string) (model.Job, error) {
	t.Helper()
	c.deploy(t, cfg)
	tok := c.e.issuer.Token(testAudience, testCaller)
	resp, body := c.e.call(t, http.MethodPost, "/?approve="+url.QueryEscape(jobID), tok, nil)
	if resp.StatusCode == http.StatusConflict {
		return model.Job{}, fmt.Errorf("approve over HTTP: %s", body)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST ?approve=%s: %s %s", jobID, resp.Status, body)
	}
	var got httpapi.ApproveResponse
	if err := json.Unmarshal(body, &got); err != nil || got.ApproveOf != jobID {
		t.Fatalf("approve answer %s: %v", body, err)
	}
	j := c.wait(t, got.JobID)
	if j.Status == model.JobFailed && len(j.Errors) > 0 && strings.HasPrefix(j.Errors[0], "approval refused: ") {
		// Dispatch re-checked the source and refused: the answer is the
		// approval's own job.
		return j, fmt.Errorf("approve over HTTP: %s", j.Errors[0])
	}
	c.checkAppliedAsReviewed(t, jobID, j)
	return j, nil
}

// checkAppliedAsReviewed compares an approval's audit record with the
// held plans it approved: the same users changed the same way, the same
// members added and removed in the same groups.
func (c *cloudRunner) checkAppliedAsReviewed(t *testing.T, heldID string, ap model.Job) {
	t.Helper()
	ctx := t.Context()
	held, err := c.store.Held(ctx, heldID)
	if err != nil {
		t.Fatal(err)
	}
	results, err := c.store.GroupResults(ctx, ap.ID)
	if err != nil {
		t.Fatal(err)
	}
	type diff struct{ Add, Remove []string }
	for _, h := range held {
		want := map[string]diff{}
		for _, g := range h.Plan.Groups {
			want[g.GroupID] = diff{g.Add, g.Remove}
		}
		got := map[string]diff{}
		for _, r := range results {
			if r.Rule == h.Rule {
				got[r.GroupID] = diff{r.Plan.Add, r.Plan.Remove}
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("rule %s: approval's member changes differ from the reviewed plan (-reviewed +applied):\n%s", h.Rule, d)
		}
		run, err := c.store.RuleRun(ctx, ap.ID, h.Rule)
		if err != nil {
			t.Fatal(err)
		}
		var applied []model.UserChange
		for _, u := range run.Users {
			u.Planned = true
			applied = append(applied, u)
		}
		reviewed := model.PlannedUserChanges(h.Plan)
		sortChanges := cmpopts.SortSlices(func(a, b model.UserChange) bool { return a.Action+a.SourceID < b.Action+b.SourceID })
		if d := cmp.Diff(reviewed, applied, sortChanges, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("rule %s: approval's user changes differ from the reviewed plan (-reviewed +applied):\n%s", h.Rule, d)
		}
	}
}

func (c *cloudRunner) Store(t *testing.T, cfg string) engine.Store { return c.store }

func newStore(t *testing.T, e *e2e) (*firestore.Store, error) {
	st, err := firestore.New(t.Context(), e.project, "(default)")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { st.Close() })
	return st, nil
}
