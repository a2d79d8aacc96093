package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// ErrSourceChanged: the source no longer matches the held plan, so applying
// it would act on a picture nobody reviewed.
var ErrSourceChanged = errors.New("the source has changed since the plan was made")

// ErrNothingHeld: the job has no held plan to approve.
var ErrNothingHeld = errors.New("job has no held plan")

// ErrRuleBusy: another job is running the rule.
var ErrRuleBusy = errors.New("another job is running the rule")

// Approve applies the held plans of a job in this process, exactly as they
// were reviewed, and returns the approval's own job (trigger "approve").
func (e *Engine) Approve(ctx context.Context, jobID string) (model.Job, error) {
	q := newLocalQueue()
	id, err := e.approve(ctx, q, jobID, "")
	if err != nil {
		return model.Job{}, err
	}
	return e.wait(ctx, q, id)
}

// StartApproval checks a held job and starts its approval on the engine's
// queue (the cloud's), returning the approval's job ID.
func (e *Engine) StartApproval(ctx context.Context, jobID string) (string, error) {
	if e.opts.Queue == nil {
		return "", errors.New("engine: no queue configured")
	}
	return e.approve(ctx, e.opts.Queue, jobID, "")
}

// approve is a stored decision for a held gate. Every held rule is planned
// again from a fresh read first, and the approval is refused, changing
// nothing, unless the source hashes the same and the changes are the
// reviewed ones. Then a new job takes each rule with the reviewed plan as
// its approved gate, and the normal users → apply → finish steps run.
//
// newID names the approval's job; empty picks a new ID.
func (e *Engine) approve(ctx context.Context, q Queue, jobID, newID string) (string, error) {
	old, err := e.store.Job(ctx, jobID)
	if err != nil {
		return "", fmt.Errorf("job %s: %w", jobID, err)
	}
	if old.Status != model.JobHeld {
		return "", fmt.Errorf("job %s is %s: %w", jobID, old.Status, ErrNothingHeld)
	}
	held, err := e.store.Held(ctx, jobID)
	if err != nil {
		return "", fmt.Errorf("job %s: read held plans: %w", jobID, err)
	}
	if len(held) == 0 {
		return "", fmt.Errorf("job %s: %w", jobID, ErrNothingHeld)
	}
	e.fresh()
	for _, h := range held {
		r, err := e.rule(h.Rule)
		if err != nil {
			return "", err
		}
		now, err := e.simulate(ctx, r, old.Group, true)
		if err != nil {
			return "", err
		}
		if now.SourceHash != h.Plan.SourceHash || !sameChanges(now, h.Plan) {
			return "", fmt.Errorf("job %s, rule %s: %w; run sync again to review a new plan", jobID, h.Rule, ErrSourceChanged)
		}
	}
	start := e.opts.Now()
	if newID == "" {
		newID = NewJobID(start)
	}
	job := model.Job{
		ID: newID, Trigger: model.TriggerApprove, Rule: old.Rule, Group: old.Group,
		Force: true, ApproveOf: jobID, Status: model.JobRunning, Started: start, Updated: start,
	}
	for _, h := range held {
		job.Pending = append(job.Pending, h.Rule)
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		return "", fmt.Errorf("create job: %w", err)
	}
	for _, h := range held {
		if err := e.approveRule(ctx, q, job.ID, h); err != nil {
			return job.ID, err
		}
	}
	if _, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		j.Status = model.JobApproved
		return nil
	}); err != nil {
		return job.ID, fmt.Errorf("job %s: mark approved: %w", jobID, err)
	}
	return job.ID, nil
}

func (e *Engine) approveRule(ctx context.Context, q Queue, jobID string, h model.HeldPlan) error {
	busy, err := e.claimRule(ctx, jobID, h.Rule)
	if err != nil {
		return err
	}
	if busy != "" {
		reason := fmt.Sprintf("rule %s: job %s is running it; approve again when it ends", h.Rule, busy)
		if err := e.endRule(ctx, jobID, h.Rule, model.GateBusy, reason, false); err != nil {
			return err
		}
		return fmt.Errorf("%s: %w", reason, ErrRuleBusy)
	}
	scope := model.RuleRun{JobID: jobID, Rule: h.Rule, Scoped: true, Created: e.opts.Now()}
	if was, err := e.store.RuleRun(ctx, h.JobID, h.Rule); err == nil {
		scope.Scope, scope.Total, scope.Hinted = was.Scope, was.Total, was.Hinted
	}
	if _, _, err := e.store.CreateRuleRun(ctx, scope); err != nil {
		return fmt.Errorf("rule %s: store run: %w", h.Rule, err)
	}
	approved := model.HeldPlan{JobID: jobID, Rule: h.Rule, Plan: h.Plan, Decision: model.GateApproved, Reasons: h.Reasons, Created: e.opts.Now(),
		Problems: h.Problems, Cycles: h.Cycles, Nested: h.Nested}
	if err := e.store.PutPlan(ctx, approved); err != nil {
		return fmt.Errorf("rule %s: store plan: %w", h.Rule, err)
	}
	now := e.opts.Now()
	if _, _, err := e.store.UpdateRuleRun(ctx, jobID, h.Rule, func(run *model.RuleRun, j *model.Job) bool {
		return store.MergeGate(run, j, model.GateApproved, nil, len(h.Plan.Groups), now)
	}); err != nil {
		return fmt.Errorf("rule %s: record approval: %w", h.Rule, err)
	}
	return q.Publish(ctx, Step{Kind: StepUsers, JobID: jobID, Rule: h.Rule})
}

// sameChanges reports whether two plans make the same changes, ignoring
// holds, labels and groups that change nothing (a hinted run's plan
// leaves those out): an approval applies only what was reviewed.
func sameChanges(a, b model.Plan) bool {
	a.Groups, b.Groups = changing(a.Groups), changing(b.Groups)
	if len(a.Groups) != len(b.Groups) || len(a.CreateUsers) != len(b.CreateUsers) ||
		len(a.UpdateUsers) != len(b.UpdateUsers) || !slices.Equal(refIDs(a.DisableUsers), refIDs(b.DisableUsers)) ||
		!slices.Equal(refIDs(a.DeleteUsers), refIDs(b.DeleteUsers)) {
		return false
	}
	for i := range a.Groups {
		x, y := a.Groups[i], b.Groups[i]
		if x.GroupID != y.GroupID || x.CreateGroup != y.CreateGroup || x.UpdateGroup != y.UpdateGroup ||
			!slices.Equal(x.Add, y.Add) || !slices.Equal(x.Remove, y.Remove) {
			return false
		}
	}
	return true
}

func refIDs(refs []model.UserRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.SourceID
	}
	return out
}

// Disconnect stops managing a rule's targets: it forgets the rule's
// snapshots and ownership, and deletes nothing in the target.
func (e *Engine) Disconnect(ctx context.Context, rule string) error {
	if _, err := e.rule(rule); err != nil {
		return err
	}
	if err := e.store.ForgetRule(ctx, rule); err != nil {
		return fmt.Errorf("rule %s: forget: %w", rule, err)
	}
	return nil
}

// changing keeps the group plans that change the target.
func changing(gs []model.GroupPlan) []model.GroupPlan {
	var out []model.GroupPlan
	for _, gp := range gs {
		if gp.CreateGroup || gp.UpdateGroup || len(gp.Add) > 0 || len(gp.Remove) > 0 {
			out = append(out, gp)
		}
	}
	return out
}
