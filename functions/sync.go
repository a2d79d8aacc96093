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

// cloudApprover starts an approval on the engine's Pub/Sub queue: the held
// rules are planned again from a fresh read here, and the approval is
// refused unless the source is unchanged.
type cloudApprover struct{ e *engine.Engine }

func (a cloudApprover) Approve(ctx context.Context, jobID string) (string, error) {
	return a.e.StartApproval(ctx, jobID)
}
