package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"cloud.google.com/go/pubsub/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// dispatch starts a run from a groupsync-runs message: it writes the job
// and fans out one groupsync-groups message per (rule, group).
func dispatch(ctx context.Context, e cloudevents.Event) error {
	rt, err := getRuntime(ctx)
	if err != nil {
		return eventInitError(err)
	}
	data, msgID, err := pubsubData(e)
	if err != nil {
		rt.log.ErrorContext(ctx, "dispatch: dropping event", "err", err)
		return nil
	}
	var m runMessage
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			rt.log.ErrorContext(ctx, "dispatch: dropping malformed run message", "message_id", msgID, "err", err)
			return nil
		}
	}
	if m.Trigger == "" {
		m.Trigger = model.TriggerSchedule
	}
	req := engine.Request{Trigger: m.Trigger, Rule: m.Rule, Group: m.Group, DryRun: m.DryRun, Force: m.Force, JobID: m.JobID}
	if req.JobID != "" {
		// Pub/Sub delivers at least once: a job that exists was dispatched
		// by an earlier delivery of this message.
		j, err := rt.store.Job(ctx, req.JobID)
		switch {
		case err == nil && engine.Resumable(j):
			rt.log.InfoContext(ctx, "dispatch: resuming a job that was never fanned out", "job", j.ID)
		case err == nil:
			rt.log.InfoContext(ctx, "dispatch: job exists, redelivery ignored", "job", j.ID, "status", j.Status)
			return nil
		case !errors.Is(err, engine.ErrNotFound):
			return fmt.Errorf("dispatch: read job %s: %w", req.JobID, err)
		}
	}
	job, tasks, err := rt.engine.Dispatch(ctx, req)
	if err != nil {
		if errors.Is(err, engine.ErrRetry) {
			return fmt.Errorf("dispatch: %w", err)
		}
		rt.log.ErrorContext(ctx, "dispatch: run not started", "job", job.ID, "err", err)
		return nil
	}
	msgs := make([]*pubsub.Message, len(tasks))
	for i, t := range tasks {
		body, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("dispatch: encode task: %w", err)
		}
		msgs[i] = &pubsub.Message{Data: body, Attributes: map[string]string{"job_id": t.JobID, "rule": t.Rule, "group_id": t.Group.ID}}
	}
	n, err := publishAll(ctx, rt.groups, msgs)
	if err != nil {
		// The job exists, so a redelivery would be ignored: record the
		// failure instead. The job is marked failed rather than finished,
		// because finishing with groups missing would look like groups
		// that left the scope.
		msg := fmt.Sprintf("fan-out: %d of %d group tasks could not be published: %v", len(tasks)-n, len(tasks), err)
		if _, uerr := rt.store.UpdateJob(ctx, job.ID, func(j *model.Job) error {
			j.Errors = append(j.Errors, msg)
			j.Counts.Errors++
			j.Status = model.JobFailed
			j.Finished = time.Now()
			return nil
		}); uerr != nil {
			return fmt.Errorf("dispatch: %s; and recording it: %w", msg, uerr)
		}
		rt.log.ErrorContext(ctx, "dispatch: fan-out failed", "job", job.ID, "err", msg)
		return nil
	}
	rt.log.InfoContext(ctx, "dispatched", "job", job.ID, "trigger", job.Trigger, "tasks", len(tasks), "status", job.Status)
	return nil
}

// eventInitError maps a runtime build failure to an event function's
// answer: retry unless the failure is permanent.
func eventInitError(err error) error {
	if isPermanent(err) {
		// There is no runtime logger without a config; the framework
		// logs returned errors, but returning would cause endless
		// redelivery, so log here instead.
		newLogger(os.Stdout, os.Getenv(envProject)).Error("runtime unusable; acknowledging event", "err", err)
		return nil
	}
	return fmt.Errorf("runtime: %w", err)
}
