package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// syncGroup syncs the group of one groupsync-groups message.
func syncGroup(ctx context.Context, e cloudevents.Event) error {
	rt, err := getRuntime(ctx)
	if err != nil {
		return eventInitError(err)
	}
	data, msgID, err := pubsubData(e)
	if err != nil {
		rt.log.ErrorContext(ctx, "sync group: dropping event", "err", err)
		return nil
	}
	var t engine.Task
	if err := json.Unmarshal(data, &t); err != nil || t.JobID == "" || t.Rule == "" || t.Group.ID == "" {
		rt.log.ErrorContext(ctx, "sync group: dropping malformed task", "message_id", msgID, "err", err)
		return nil
	}
	res, err := rt.engine.SyncGroup(ctx, t)
	if err != nil {
		if errors.Is(err, engine.ErrRetry) {
			return fmt.Errorf("sync group %s: %w", t.Group.Email, err)
		}
		rt.log.ErrorContext(ctx, "sync group failed", "job", t.JobID, "rule", t.Rule, "group", t.Group.Email, "err", err)
		return nil
	}
	rt.log.InfoContext(ctx, "group synced", "job", t.JobID, "rule", t.Rule, "group", t.Group.Email,
		"status", res.Status, "added", len(res.Plan.Add), "removed", len(res.Plan.Remove))
	if ev, ok := changeEvent(t, res); ok {
		// Acknowledge even when the event cannot be published: a retry
		// would find the group in sync and announce nothing.
		if err := publishChange(ctx, rt.changes, ev); err != nil {
			rt.log.ErrorContext(ctx, "change event lost", "job", t.JobID, "group", t.Group.Email, "err", err)
		}
	}
	return nil
}

// changeEvent describes what an applied group result changed, if anything.
func changeEvent(t engine.Task, res model.GroupResult) (ChangeEvent, bool) {
	if t.DryRun || (res.Status != model.GroupApplied && res.Status != model.GroupIncomplete) {
		return ChangeEvent{}, false
	}
	if len(res.Plan.Add) == 0 && len(res.Plan.Remove) == 0 {
		return ChangeEvent{}, false
	}
	when := res.Finished
	if when.IsZero() {
		when = time.Now()
	}
	return ChangeEvent{
		JobID: t.JobID, Rule: t.Rule, GroupID: t.Group.ID, GroupEmail: t.Group.Email, Status: res.Status,
		Added: res.Plan.Add, Removed: res.Plan.Remove, Time: when.UTC(),
	}, true
}

func publishChange(ctx context.Context, p *pubsub.Publisher, ev ChangeEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = publishAll(ctx, p, []*pubsub.Message{{
		Data:       body,
		Attributes: map[string]string{"job_id": ev.JobID, "rule": ev.Rule, "group_id": ev.GroupID},
	}})
	return err
}
