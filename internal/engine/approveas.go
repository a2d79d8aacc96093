package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// ApproveAs carries out an approval that a reader of the store requested
// under approvalID (the cloud's Sync function, which may read jobs but not
// the source, publishes these): it re-checks the held plans against the
// source and starts the approval on the engine's queue. A refusal is
// recorded as the approval's own job, failed with the reason, so that the
// operator who asked finds the answer at the ID they were given. A
// redelivered request whose job exists does nothing.
func (e *Engine) ApproveAs(ctx context.Context, jobID, approvalID string) error {
	if e.opts.Queue == nil {
		return errors.New("engine: no queue configured")
	}
	if approvalID == "" {
		return errors.New("approve: empty approval job ID")
	}
	switch _, err := e.store.Job(ctx, approvalID); {
	case err == nil:
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return retry(fmt.Errorf("read job %s: %w", approvalID, err))
	}
	_, err := e.approve(ctx, e.opts.Queue, jobID, approvalID)
	if err == nil || !refusal(err) {
		return err
	}
	now := e.opts.Now()
	refused := model.Job{
		ID: approvalID, Trigger: model.TriggerApprove, ApproveOf: jobID, Status: model.JobFailed,
		Started: now, Finished: now, Updated: now, Errors: []string{"approval refused: " + err.Error()},
		Counts: model.Counts{Errors: 1},
	}
	if cerr := e.store.CreateJob(ctx, refused); cerr != nil && !errors.Is(cerr, store.ErrExists) {
		return retry(fmt.Errorf("record refused approval %s: %w", approvalID, cerr))
	}
	return nil
}

// refusal reports whether an approval error is an answer (nothing to
// approve, the source moved on, the rule is busy) rather than a failure.
func refusal(err error) bool {
	return errors.Is(err, ErrSourceChanged) || errors.Is(err, ErrNothingHeld) ||
		errors.Is(err, ErrRuleBusy) || errors.Is(err, store.ErrNotFound)
}
