package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// ErrSourceChanged: the source no longer matches the held plan, so applying
// it would act on a picture nobody reviewed.
var ErrSourceChanged = errors.New("the source has changed since the plan was made")

// ErrNothingHeld: the job has no held plan to approve.
var ErrNothingHeld = errors.New("job has no held plan")

// Approve applies the held plans of a job, exactly as they were reviewed,
// if the source still hashes the same as when each plan was made. It runs
// as a new job (trigger "approve") and returns it.
func (e *Engine) Approve(ctx context.Context, jobID string) (model.Job, error) {
	old, err := e.store.Job(ctx, jobID)
	if err != nil {
		return model.Job{}, fmt.Errorf("job %s: %w", jobID, err)
	}
	if old.Status != model.JobHeld {
		return model.Job{}, fmt.Errorf("job %s is %s: %w", jobID, old.Status, ErrNothingHeld)
	}
	held, err := e.store.Held(ctx, jobID)
	if err != nil {
		return model.Job{}, fmt.Errorf("job %s: read held plans: %w", jobID, err)
	}
	if len(held) == 0 {
		return e.approveGroups(ctx, old)
	}
	e.fresh()
	// Check every rule before applying any, so a refusal changes nothing.
	runs := make([]*ruleRun, len(held))
	for i, h := range held {
		r, err := e.rule(h.Rule)
		if err != nil {
			return model.Job{}, err
		}
		rr, err := e.load(ctx, r, old.Group, true)
		if err != nil {
			return model.Job{}, err
		}
		now, err := plan.Compute(rr.desired, rr.actual, rr.policy)
		if err != nil {
			return model.Job{}, fmt.Errorf("rule %s: plan: %w", r.Name, err)
		}
		if now.SourceHash != h.Plan.SourceHash {
			return model.Job{}, fmt.Errorf("job %s, rule %s: %w; run sync again to review a new plan", jobID, h.Rule, ErrSourceChanged)
		}
		runs[i] = rr
	}
	job := model.Job{
		ID: NewJobID(e.opts.Now()), Trigger: model.TriggerApprove, Rule: old.Rule, Group: old.Group,
		Force: true, ApproveOf: jobID, Status: model.JobRunning, Started: e.opts.Now(),
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		return job, fmt.Errorf("create job: %w", err)
	}
	for i, h := range held {
		rec, err := e.newRecorder(ctx, job.ID, runs[i], len(h.Plan.Groups))
		if err != nil {
			return job, err
		}
		a := e.newApplier(runs[i], job.ID)
		results := a.apply(ctx, h.Plan, rec.add)
		errs := a.errs
		if err := e.saveScope(ctx, runs[i], results); err != nil {
			errs = append(errs, err.Error())
		}
		if err := rec.done(); err != nil {
			return job, err
		}
		if _, err := e.store.UpdateJob(ctx, job.ID, func(j *model.Job) error {
			j.Counts.Add(a.counts)
			j.Errors = append(j.Errors, errs...)
			return nil
		}); err != nil {
			return job, fmt.Errorf("update job: %w", err)
		}
		if err := e.store.DeleteHeld(ctx, jobID, h.Rule); err != nil {
			return job, fmt.Errorf("job %s: drop held plan of rule %s: %w", jobID, h.Rule, err)
		}
	}
	if _, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		j.Status = model.JobApproved
		return nil
	}); err != nil {
		return job, fmt.Errorf("job %s: mark approved: %w", jobID, err)
	}
	return e.finalize(ctx, job.ID)
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

// approveGroups approves the groups a fanned-out job held one by one (each
// task plans alone, so its hold is recorded in its result): each group is
// read again, and applied, forced, only if its desired hash is still the
// one the held plan was made for.
func (e *Engine) approveGroups(ctx context.Context, old model.Job) (model.Job, error) {
	results, err := e.store.GroupResults(ctx, old.ID)
	if err != nil {
		return model.Job{}, fmt.Errorf("job %s: read results: %w", old.ID, err)
	}
	type approval struct {
		rr   *ruleRun
		plan model.Plan
	}
	var todo []approval
	e.fresh()
	for _, res := range results {
		if res.Status != model.GroupHeld {
			continue
		}
		r, err := e.rule(res.Rule)
		if err != nil {
			return model.Job{}, err
		}
		g := model.GroupInfo{ID: res.GroupID, Email: res.Plan.Email, Name: res.Plan.Name}
		rr, err := e.loadTask(ctx, r, Task{JobID: old.ID, Rule: r.Name, Group: g, Force: true})
		if err != nil {
			return model.Job{}, err
		}
		p, err := plan.Compute(rr.desired, rr.actual, rr.policy)
		if err != nil {
			return model.Job{}, fmt.Errorf("rule %s: plan: %w", r.Name, err)
		}
		if len(p.Groups) != 1 || p.Groups[0].Hash != res.Plan.Hash {
			return model.Job{}, fmt.Errorf("job %s, group %s: %w; run sync again to review a new plan", old.ID, res.Email, ErrSourceChanged)
		}
		label(&p, rr)
		todo = append(todo, approval{rr, p})
	}
	if len(todo) == 0 {
		return model.Job{}, fmt.Errorf("job %s: %w", old.ID, ErrNothingHeld)
	}
	job := model.Job{
		ID: NewJobID(e.opts.Now()), Trigger: model.TriggerApprove, Rule: old.Rule, Group: old.Group,
		Force: true, ApproveOf: old.ID, Status: model.JobRunning, Started: e.opts.Now(),
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		return job, fmt.Errorf("create job: %w", err)
	}
	for _, ap := range todo {
		rec, err := e.newRecorder(ctx, job.ID, ap.rr, len(ap.plan.Groups))
		if err != nil {
			return job, err
		}
		a := e.newApplier(ap.rr, job.ID)
		a.apply(ctx, ap.plan, rec.add)
		if err := rec.done(); err != nil {
			return job, err
		}
		if _, err := e.store.UpdateJob(ctx, job.ID, func(j *model.Job) error {
			j.Counts.Add(a.counts)
			j.Errors = append(j.Errors, a.errs...)
			return nil
		}); err != nil {
			return job, fmt.Errorf("update job: %w", err)
		}
	}
	if _, err := e.store.UpdateJob(ctx, old.ID, func(j *model.Job) error {
		j.Status = model.JobApproved
		return nil
	}); err != nil {
		return job, fmt.Errorf("job %s: mark approved: %w", old.ID, err)
	}
	return e.finalize(ctx, job.ID)
}
