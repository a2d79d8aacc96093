package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// ErrRetry marks errors that a retry can fix (a busy lease, a store or
// source hiccup). Event functions return these so Pub/Sub redelivers; every
// other failure is recorded in the job and acknowledged.
var ErrRetry = errors.New("retry later")

// Task is one group of one rule to sync: the body of a groupsync-groups
// message.
type Task struct {
	JobID  string          `json:"job_id"`
	Rule   string          `json:"rule"`
	Group  model.GroupInfo `json:"group"`
	DryRun bool            `json:"dry_run,omitempty"`
	Force  bool            `json:"force,omitempty"`
	// Only is the run's group filter: a filtered run never deprovisions.
	Only string `json:"only,omitempty"`
}

// Dispatch starts a fanned-out run: it writes the job, lists each rule's
// groups in scope and returns one task per group. The scope-drop hold is
// checked here, where the whole scope is known. A job with no tasks is
// finished before Dispatch returns.
func (e *Engine) Dispatch(ctx context.Context, req Request) (model.Job, []Task, error) {
	e.fresh()
	rules, err := e.rules(req.Rule)
	if err != nil {
		return model.Job{}, nil, err
	}
	job := model.Job{
		ID: req.JobID, Trigger: req.Trigger, Rule: req.Rule, Group: req.Group,
		DryRun: req.DryRun, Force: req.Force, Status: model.JobRunning, Started: e.opts.Now(),
	}
	if job.ID == "" {
		job.ID = NewJobID(job.Started)
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		// A redelivered run message whose first delivery died between
		// writing the job and fanning out resumes that job.
		old, gerr := e.store.Job(ctx, job.ID)
		if gerr != nil || !Resumable(old) {
			return job, nil, fmt.Errorf("create job: %w: %w", err, ErrRetry)
		}
		job = old
	}
	var (
		tasks []Task
		errs  []string
		held  []string
	)
	for _, r := range rules {
		src, _, err := e.connectors(r)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		groups, err := e.scope(ctx, r, src, req.Group)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if reason, err := e.scopeDrop(ctx, r, len(groups), req); err != nil {
			errs = append(errs, err.Error())
			continue
		} else if reason != "" {
			held = append(held, reason)
			continue
		}
		for _, g := range groups {
			tasks = append(tasks, Task{JobID: job.ID, Rule: r.Name, Group: g, DryRun: req.DryRun || r.Policy.DryRun, Force: req.Force, Only: req.Group})
		}
	}
	job, err = e.store.UpdateJob(ctx, job.ID, func(j *model.Job) error {
		j.Total = len(tasks)
		j.Errors = append(j.Errors, errs...)
		j.Counts.Errors += len(errs)
		j.Held = append(j.Held, held...)
		return nil
	})
	if err != nil {
		return job, nil, fmt.Errorf("update job: %w: %w", err, ErrRetry)
	}
	if len(tasks) == 0 {
		job, err = e.Finish(ctx, job.ID)
		return job, nil, err
	}
	return job, tasks, nil
}

// Resumable reports whether a job was written by Dispatch but never fanned
// out, so dispatching it again is safe: its tasks are idempotent.
func Resumable(j model.Job) bool {
	return j.Status == model.JobRunning && j.Total == 0 && j.Done == 0 && len(j.Errors) == 0 && len(j.Held) == 0
}

// scopeDrop returns a hold reason when a complete run's scope fell by more
// than the rule allows since the last complete run.
func (e *Engine) scopeDrop(ctx context.Context, r config.Rule, n int, req Request) (string, error) {
	if req.Group != "" || req.Force {
		return "", nil
	}
	pol, err := r.PlanPolicy()
	if err != nil {
		return "", fmt.Errorf("rule %s: %w", r.Name, err)
	}
	st, _, err := e.store.RuleState(ctx, r.Name)
	if err != nil {
		return "", fmt.Errorf("rule %s: read state: %w", r.Name, err)
	}
	if st.LastScope == 0 || n >= st.LastScope || !pol.MaxScopeDrop.Exceeded(st.LastScope-n, st.LastScope) {
		return "", nil
	}
	return fmt.Sprintf("rule %s: scope: groups in scope fell from %d to %d, over max_scope_drop %s; re-run with force after checking the source",
		r.Name, st.LastScope, n, pol.MaxScopeDrop), nil
}

// SyncGroup syncs one group under a lease. Redelivery is safe: a second
// apply finds the snapshot at the desired hash and plans nothing, and the
// job counts the group once. When the last group lands the job finishes.
func (e *Engine) SyncGroup(ctx context.Context, t Task) (model.GroupResult, error) {
	r, err := e.rule(t.Rule)
	if err != nil {
		return e.recordTask(ctx, t, e.failResult(e.newResult(t.JobID, t.Rule, taskPlan(t)), err.Error()), nil)
	}
	e.freshFor(t.JobID)
	key := t.Rule + ":" + t.Group.ID
	// One holder per call, not per job: an instance may serve two
	// deliveries of the same task at once, and only one may apply.
	holder := e.opts.Holder + "/" + t.JobID + "/" + randomID(4)
	ok, err := e.store.AcquireLease(ctx, key, holder, e.opts.LeaseTTL)
	if err != nil {
		return model.GroupResult{}, fmt.Errorf("lease %s: %w: %w", key, err, ErrRetry)
	}
	if !ok {
		return model.GroupResult{}, fmt.Errorf("group %s of rule %s is being synced by another worker: %w", t.Group.Email, t.Rule, ErrRetry)
	}
	defer e.store.ReleaseLease(context.WithoutCancel(ctx), key, holder)

	rr, err := e.loadTask(ctx, r, t)
	if err != nil {
		return e.recordTask(ctx, t, e.failResult(e.newResult(t.JobID, t.Rule, taskPlan(t)), err.Error()), nil)
	}
	p, err := plan.Compute(rr.desired, rr.actual, rr.policy)
	if err != nil || len(p.Groups) != 1 {
		msg := fmt.Sprintf("plan: %v", err)
		if err == nil {
			msg = fmt.Sprintf("plan: got %d group plans for one group", len(p.Groups))
		}
		return e.recordTask(ctx, t, e.failResult(e.newResult(t.JobID, t.Rule, taskPlan(t)), msg), nil)
	}
	label(&p, rr)
	var res model.GroupResult
	var a *applier
	switch {
	case t.DryRun:
		res = e.planOnly(t.JobID, r.Name, p.Groups, false)[0]
	case p.IsHeld():
		res = e.planOnly(t.JobID, r.Name, p.Groups, true)[0]
	default:
		a = e.newApplier(rr, t.JobID)
		res = a.apply(ctx, p, nil)[0]
	}
	res = e.finish(res, &rr.desired.Groups[0])
	return e.recordTask(ctx, t, res, func(j *model.Job) {
		if a != nil {
			j.Counts.Add(a.counts)
			j.Errors = append(j.Errors, a.errs...)
		} else if t.DryRun {
			j.Counts.Add(userCounts(p))
		}
		if p.IsHeld() && !t.DryRun {
			j.Held = append(j.Held, heldReasons(p)...)
		}
	})
}

// loadTask reads one group's membership and what was applied to it.
func (e *Engine) loadTask(ctx context.Context, r config.Rule, t Task) (*ruleRun, error) {
	src, tgt, err := e.connectors(r)
	if err != nil {
		return nil, err
	}
	pol, err := r.PlanPolicy()
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	pol.Force = t.Force
	users, err := e.users.get(ctx, r.Source, src)
	if err != nil {
		return nil, err
	}
	members, calls, err := e.readMembers(ctx, r, src, []model.GroupInfo{t.Group}, users)
	if err != nil {
		return nil, err
	}
	actual, err := e.actual(ctx, r.Name, []string{t.Group.ID})
	if err != nil {
		return nil, err
	}
	return &ruleRun{
		rule: r, src: src, tgt: tgt, policy: pol, calls: calls, actual: actual,
		desired: plan.Desired{Rule: r.Name, Groups: members, Users: users},
	}, nil
}

func taskPlan(t Task) model.GroupPlan {
	return model.GroupPlan{GroupID: t.Group.ID, Email: t.Group.Email, Name: t.Group.Name}
}

// recordTask stores a task's result; the first record of a group also adds
// the rule-level counts, and the last group of the job finishes it.
func (e *Engine) recordTask(ctx context.Context, t Task, res model.GroupResult, extra func(*model.Job)) (model.GroupResult, error) {
	res.Finished = e.opts.Now()
	j, first, err := e.store.RecordGroupResult(ctx, res)
	if err != nil {
		return res, fmt.Errorf("record result of %s: %w: %w", t.Group.Email, err, ErrRetry)
	}
	if first && extra != nil {
		if j, err = e.store.UpdateJob(ctx, t.JobID, func(j *model.Job) error { extra(j); return nil }); err != nil {
			return res, fmt.Errorf("update job: %w: %w", err, ErrRetry)
		}
	}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: PhaseApply, JobID: t.JobID, Rule: t.Rule, Group: res.Email, Status: res.Status, Done: j.Done, Total: j.Total, Changes: changes(j.Counts), Errors: j.Counts.Errors})
	}
	if j.Done >= j.Total && j.Status == model.JobRunning {
		if _, err := e.Finish(ctx, t.JobID); err != nil {
			return res, fmt.Errorf("finish job: %w: %w", err, ErrRetry)
		}
	}
	return res, nil
}

// Finish ends a fanned-out job once every group has a result: after a complete, clean, applied run it
// deprovisions users who are in no group of the rule any more and empties
// groups that left the scope, then derives the job's status. It is
// idempotent: a finished job is returned as it is.
func (e *Engine) Finish(ctx context.Context, jobID string) (model.Job, error) {
	j, err := e.store.Job(ctx, jobID)
	if err != nil {
		return j, fmt.Errorf("job %s: %w", jobID, err)
	}
	if j.Status != model.JobRunning || j.Done < j.Total {
		// Finishing early would take unfinished groups for groups that
		// left the scope.
		return j, nil
	}
	// Two workers can both see the last result land; one finishes.
	key, holder := "finish:"+jobID, e.opts.Holder+"/"+randomID(4)
	ok, err := e.store.AcquireLease(ctx, key, holder, e.opts.LeaseTTL)
	if err != nil {
		return j, fmt.Errorf("job %s: finish lease: %w", jobID, err)
	}
	if !ok {
		return j, nil
	}
	defer e.store.ReleaseLease(context.WithoutCancel(ctx), key, holder)
	if j, err = e.store.Job(ctx, jobID); err != nil || j.Status != model.JobRunning || j.Done < j.Total {
		return j, err
	}
	if !j.DryRun && j.Group == "" && len(j.Held) == 0 {
		results, err := e.store.GroupResults(ctx, jobID)
		if err != nil {
			return j, fmt.Errorf("job %s: read results: %w", jobID, err)
		}
		rules, err := e.rules(j.Rule)
		if err != nil {
			return j, err
		}
		for _, r := range rules {
			if err := e.finishRule(ctx, j, r, results); err != nil {
				msg := err.Error()
				if _, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
					j.Errors = append(j.Errors, msg)
					j.Counts.Errors++
					return nil
				}); err != nil {
					return j, fmt.Errorf("job %s: %w", jobID, err)
				}
			}
		}
	}
	return e.finalize(ctx, jobID)
}

// finishRule plans the rule from its snapshots (which now hold every
// group's desired members) to find users and groups that no longer belong.
func (e *Engine) finishRule(ctx context.Context, j model.Job, r config.Rule, results []model.GroupResult) error {
	var inScope []string
	for _, res := range results {
		if res.Rule != r.Name {
			continue
		}
		if res.Status != model.GroupApplied && res.Status != model.GroupUnchanged {
			return nil // fail closed: a group we could not read may hold anyone
		}
		inScope = append(inScope, res.GroupID)
	}
	src, tgt, err := e.connectors(r)
	if err != nil {
		return err
	}
	pol, err := r.PlanPolicy()
	if err != nil {
		return fmt.Errorf("rule %s: %w", r.Name, err)
	}
	pol.Force = j.Force
	users, err := e.users.get(ctx, r.Source, src)
	if err != nil {
		return err
	}
	actual, err := e.actual(ctx, r.Name, nil)
	if err != nil {
		return err
	}
	desired := plan.Desired{Rule: r.Name, Users: users, Complete: true}
	for _, id := range inScope {
		s, ok := actual.Snapshots[id]
		if !ok {
			continue
		}
		m := model.Membership{Group: model.GroupInfo{ID: s.GroupID, Email: s.Email, Name: s.Name}}
		for _, uid := range s.MemberIDs {
			m.Members = append(m.Members, model.Member{ID: uid})
		}
		desired.Groups = append(desired.Groups, m)
	}
	rr := &ruleRun{rule: r, src: src, tgt: tgt, policy: pol, desired: desired, actual: actual}
	p, err := plan.Compute(desired, actual, pol)
	if err != nil {
		return fmt.Errorf("rule %s: plan: %w", r.Name, err)
	}
	label(&p, rr)
	if p.IsHeld() {
		h := model.HeldPlan{JobID: j.ID, Rule: r.Name, Plan: p, Reasons: heldReasons(p), Created: e.opts.Now()}
		if err := e.store.PutHeld(ctx, h); err != nil {
			return fmt.Errorf("rule %s: store held plan: %w", r.Name, err)
		}
		_, err := e.store.UpdateJob(ctx, j.ID, func(j *model.Job) error {
			j.Held = append(j.Held, h.Reasons...)
			return nil
		})
		return err
	}
	a := e.newApplier(rr, j.ID)
	out := a.apply(ctx, p, nil)
	var errs []string
	for _, res := range out {
		errs = append(errs, res.Errors...)
	}
	errs = append(errs, a.errs...)
	if err := e.saveScope(ctx, rr, nil); err != nil {
		errs = append(errs, err.Error())
	}
	_, err = e.store.UpdateJob(ctx, j.ID, func(j *model.Job) error {
		j.Counts.Add(a.counts)
		j.Errors = append(j.Errors, errs...)
		return nil
	})
	return err
}
