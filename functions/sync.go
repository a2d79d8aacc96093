package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
)

// httpSync serves the HTTP API (internal/httpapi).
func httpSync(w http.ResponseWriter, r *http.Request) {
	rt, err := getRuntime(r.Context())
	if err != nil {
		code := http.StatusServiceUnavailable
		if isPermanent(err) {
			code = http.StatusInternalServerError
		}
		newLogger(os.Stdout, os.Getenv(envProject)).ErrorContext(r.Context(), "runtime unusable", "err", err)
		http.Error(w, "groupsync is not configured correctly; see the function's logs", code)
		return
	}
	rt.api.ServeHTTP(w, r)
}

// cloudStarter starts a run by publishing it to groupsync-runs; Dispatch
// creates the job under the ID returned here.
type cloudStarter struct {
	cfg  *config.File
	runs *pubsub.Publisher
}

func (s *cloudStarter) Start(ctx context.Context, req engine.Request) (string, error) {
	if err := httpapi.CheckRequest(s.cfg, req); err != nil {
		return "", err
	}
	id := engine.NewJobID(time.Now())
	body, err := json.Marshal(runMessage{Trigger: req.Trigger, Rule: req.Rule, Group: req.Group, DryRun: req.DryRun, JobID: id})
	if err != nil {
		return "", err
	}
	if _, err := s.runs.Publish(ctx, &pubsub.Message{Data: body, Attributes: map[string]string{"job_id": id}}).Get(ctx); err != nil {
		return "", fmt.Errorf("publish run: %w", err)
	}
	return id, nil
}

// cloudApprover asks Dispatch to approve a held job. Sync may read jobs
// and publish runs, nothing more: re-checking the held plans against the
// source needs the source's credentials, so Dispatch does that and records
// a refusal as the approval's own job, under the ID returned here.
type cloudApprover struct {
	jobs interface {
		Job(ctx context.Context, id string) (model.Job, error)
	}
	runs *pubsub.Publisher
}

func (a *cloudApprover) Approve(ctx context.Context, jobID string) (string, error) {
	j, err := a.jobs.Job(ctx, jobID)
	if err != nil {
		return "", err
	}
	if j.Status != model.JobHeld {
		return "", fmt.Errorf("job %s is %s: %w", jobID, j.Status, engine.ErrNothingHeld)
	}
	id := engine.NewJobID(time.Now())
	body, err := json.Marshal(runMessage{Trigger: model.TriggerApprove, Approve: jobID, JobID: id})
	if err != nil {
		return "", err
	}
	if _, err := a.runs.Publish(ctx, &pubsub.Message{Data: body, Attributes: map[string]string{"job_id": id, "approve_of": jobID}}).Get(ctx); err != nil {
		return "", fmt.Errorf("publish approval: %w", err)
	}
	return id, nil
}
