package functions

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/groupsync/groupsync/internal/engine"
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
	st, err := firestore.New(t.Context(), e.project, "(default)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
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

func (c *cloudRunner) Approve(t *testing.T, cfg string, jobID string) (model.Job, error) {
	t.Helper()
	c.deploy(t, cfg)
	rt, err := getRuntime(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id, err := rt.engine.StartApproval(context.WithoutCancel(t.Context()), jobID)
	if err != nil {
		return model.Job{}, err
	}
	return c.wait(t, id), nil
}

func (c *cloudRunner) Store(t *testing.T, cfg string) engine.Store { return c.store }
