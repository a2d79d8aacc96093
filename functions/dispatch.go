package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// dispatch handles a groupsync-runs message: a run trigger (from Cloud
// Scheduler or the Sync function) starts or resumes a job, and the
// engine's rule-level steps (gate, users, finish) run here.
func dispatch(ctx context.Context, e cloudevents.Event) error {
	rt, err := getRuntime(ctx)
	if err != nil {
		return eventInitError(err)
	}
	msg, err := pubsubMessage(e)
	if err != nil {
		rt.log.ErrorContext(ctx, "dispatch: dropping event", "err", err)
		return nil
	}
	if approve, id, ok := approval(msg); ok {
		return handleApproval(ctx, rt, approve, id)
	}
	step, err := runStep(msg)
	if err != nil {
		rt.log.ErrorContext(ctx, "dispatch: dropping malformed run message", "message_id", msg.ID, "err", err)
		return nil
	}
	return handleStep(ctx, rt, step)
}

// approval recognises an approval request from the Sync function.
func approval(msg pubsubMsg) (approve, jobID string, ok bool) {
	var m runMessage
	if err := strictJSON(bytes.TrimSpace(msg.Data), &m); err != nil || m.Approve == "" || m.JobID == "" {
		return "", "", false
	}
	return m.Approve, m.JobID, true
}

func handleApproval(ctx context.Context, rt *runtime, approve, jobID string) error {
	e, err := rt.getEngine(ctx)
	if err != nil {
		return fmt.Errorf("approval %s: %w", jobID, err)
	}
	err = e.ApproveAs(ctx, approve, jobID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrRetry):
		return fmt.Errorf("approval %s: %w", jobID, err)
	}
	rt.log.ErrorContext(ctx, "approval failed", "job", jobID, "approves", approve, "err", err)
	return nil
}

// syncGroup handles a groupsync-groups message: the engine's per-group
// steps (read, apply).
func syncGroup(ctx context.Context, e cloudevents.Event) error {
	rt, err := getRuntime(ctx)
	if err != nil {
		return eventInitError(err)
	}
	msg, err := pubsubMessage(e)
	if err != nil {
		rt.log.ErrorContext(ctx, "sync group: dropping event", "err", err)
		return nil
	}
	var s engine.Step
	data, err := stepData(msg)
	if err == nil {
		err = strictJSON(data, &s)
	}
	if err != nil || !s.PerGroup() {
		rt.log.ErrorContext(ctx, "sync group: dropping malformed step", "message_id", msg.ID, "step", s.Kind, "err", err)
		return nil
	}
	return handleStep(ctx, rt, s)
}

// runStep decodes a groupsync-runs message. A body with a "step" field is
// an engine step; anything else is a run trigger, whose fields are all
// optional: Cloud Scheduler publishes "{}". A trigger without a job ID
// (a scheduled run) takes its ID from the message, so a redelivered
// trigger resumes its job instead of starting a second one.
func runStep(msg pubsubMsg) (engine.Step, error) {
	data, err := stepData(msg)
	if err != nil {
		return engine.Step{}, err
	}
	data = bytes.TrimSpace(data)
	var probe struct {
		Step string `json:"step"`
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &probe); err != nil {
			return engine.Step{}, err
		}
	}
	if probe.Step != "" {
		var s engine.Step
		if err := strictJSON(data, &s); err != nil {
			return engine.Step{}, err
		}
		if s.PerGroup() {
			return engine.Step{}, fmt.Errorf("%s steps belong on %s", s.Kind, topicGroups)
		}
		return s, nil
	}
	var m runMessage
	if len(data) > 0 {
		if err := strictJSON(data, &m); err != nil {
			return engine.Step{}, err
		}
	}
	if m.Trigger == "" {
		m.Trigger = model.TriggerSchedule
	}
	if m.JobID == "" {
		if msg.ID == "" {
			return engine.Step{}, errors.New("a trigger without a job ID needs a message ID")
		}
		m.JobID = engine.MessageJobID(msg.Published, msg.ID)
	}
	req := engine.Request{Trigger: m.Trigger, Rule: m.Rule, Group: m.Group, DryRun: m.DryRun, Force: m.Force, JobID: m.JobID}
	return engine.Step{Kind: engine.StepStart, JobID: m.JobID, Request: &req}, nil
}

// handleStep runs a step and maps its error to the event's answer: retry
// (return it) when a redelivery can help, acknowledge otherwise.
func handleStep(ctx context.Context, rt *runtime, s engine.Step) error {
	e, err := rt.getEngine(ctx)
	if err != nil {
		// Sources or targets could not connect (a secret not readable
		// yet, an endpoint down): a redelivery may find them.
		return fmt.Errorf("%s step of job %s: %w", s.Kind, s.JobID, err)
	}
	err = e.Handle(ctx, s)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrRetry):
		return fmt.Errorf("%s step of job %s: %w", s.Kind, s.JobID, err)
	case errors.Is(err, engine.ErrSuperseded):
		rt.log.InfoContext(ctx, "step skipped: the job no longer runs the rule", "step", s.Kind, "job", s.JobID, "rule", s.Rule)
		return nil
	}
	rt.log.ErrorContext(ctx, "step failed", "step", s.Kind, "job", s.JobID, "rule", s.Rule, "err", err)
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

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
