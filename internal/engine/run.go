package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// Request starts a run. A request can make a run safer than the config
// (dry run), never less safe: Force only lifts the deletion limits, as the
// CLI's documented --force does.
type Request struct {
	Trigger string
	Rule    string // only this rule
	Group   string // only this group (email or ID); disables deprovisioning
	DryRun  bool
	Force   bool
	// JobID, when set, is used instead of a new ID (the HTTP API returns
	// the ID before the run starts).
	JobID string
}

// Plan simulates a run: it reads the source and the store and returns each
// rule's plan. It writes nothing anywhere.
func (e *Engine) Plan(ctx context.Context, req Request) ([]model.Plan, error) {
	e.fresh()
	rules, err := e.rules(req.Rule)
	if err != nil {
		return nil, err
	}
	var plans []model.Plan
	for _, r := range rules {
		rr, err := e.load(ctx, r, req.Group, req.Force)
		if err != nil {
			return nil, err
		}
		p, err := plan.Compute(rr.desired, rr.actual, rr.policy)
		if err != nil {
			return nil, fmt.Errorf("rule %s: plan: %w", r.Name, err)
		}
		label(&p, rr)
		plans = append(plans, p)
	}
	return plans, nil
}

// Run syncs the selected rules in-process and returns the finished job.
// Rule-level failures are recorded in the job; the error return is for
// failures to record the job itself.
func (e *Engine) Run(ctx context.Context, req Request) (model.Job, error) {
	e.fresh()
	rules, err := e.rules(req.Rule)
	if err != nil {
		return model.Job{}, err
	}
	job := model.Job{
		ID: req.JobID, Trigger: req.Trigger, Rule: req.Rule, Group: req.Group,
		DryRun: req.DryRun, Force: req.Force, Status: model.JobRunning, Started: e.opts.Now(),
	}
	if job.ID == "" {
		job.ID = NewJobID(job.Started)
	}
	if job.Trigger == "" {
		job.Trigger = model.TriggerCLI
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		return job, fmt.Errorf("create job: %w", err)
	}
	for _, r := range rules {
		if err := e.runRule(ctx, job.ID, req, r.Name); err != nil {
			msg := err.Error()
			if _, uerr := e.store.UpdateJob(ctx, job.ID, func(j *model.Job) error {
				j.Errors = append(j.Errors, msg)
				j.Counts.Errors++
				return nil
			}); uerr != nil {
				return job, fmt.Errorf("record rule error: %w", uerr)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return e.finalize(ctx, job.ID)
}

// runRule plans one rule and, unless it is a dry run or held, applies it.
func (e *Engine) runRule(ctx context.Context, jobID string, req Request, name string) error {
	r, err := e.rule(name)
	if err != nil {
		return err
	}
	rr, err := e.load(ctx, r, req.Group, req.Force)
	if err != nil {
		return err
	}
	p, err := plan.Compute(rr.desired, rr.actual, rr.policy)
	if err != nil {
		return fmt.Errorf("rule %s: plan: %w", r.Name, err)
	}
	label(&p, rr)
	dry := req.DryRun || r.Policy.DryRun
	rec, err := e.newRecorder(ctx, jobID, rr, len(p.Groups))
	if err != nil {
		return err
	}
	var ruleCounts model.Counts
	var ruleErrs []string
	switch {
	case dry:
		err = rec.addAll(ctx, e.planOnly(jobID, r.Name, p.Groups, false))
	case p.IsHeld():
		h := model.HeldPlan{JobID: jobID, Rule: r.Name, Plan: p, Reasons: heldReasons(p), Created: e.opts.Now()}
		if err := e.store.PutHeld(ctx, h); err != nil {
			return fmt.Errorf("rule %s: store held plan: %w", r.Name, err)
		}
		err = rec.addAll(ctx, e.planOnly(jobID, r.Name, p.Groups, true))
	default:
		a := e.newApplier(rr, jobID)
		results := a.apply(ctx, p, rec.add)
		ruleCounts, ruleErrs = a.counts, a.errs
		if err := e.saveScope(ctx, rr, results); err != nil {
			ruleErrs = append(ruleErrs, err.Error())
		}
		err = rec.done()
	}
	if err != nil {
		return err
	}
	if dry {
		ruleCounts = userCounts(p)
	}
	_, err = e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		j.Counts.Add(ruleCounts)
		j.Errors = append(j.Errors, ruleErrs...)
		if p.IsHeld() && !dry {
			j.Held = append(j.Held, heldReasons(p)...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rule %s: update job: %w", r.Name, err)
	}
	return nil
}

// recorder stores each group's result as it finishes, so the job record
// and the progress display follow a run live rather than at its end.
type recorder struct {
	e     *Engine
	jobID string
	rr    *ruleRun
	byID  map[string]*model.Membership

	mu  sync.Mutex
	err error
}

// newRecorder adds n groups to the job's total and returns a recorder for
// their results.
func (e *Engine) newRecorder(ctx context.Context, jobID string, rr *ruleRun, n int) (*recorder, error) {
	if _, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		j.Total += n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("rule %s: update job: %w", rr.rule.Name, err)
	}
	byID := make(map[string]*model.Membership, len(rr.desired.Groups))
	for i := range rr.desired.Groups {
		byID[rr.desired.Groups[i].Group.ID] = &rr.desired.Groups[i]
	}
	return &recorder{e: e, jobID: jobID, rr: rr, byID: byID}, nil
}

// add records one result with its membership's problems. The first failure
// is kept for done; later results are still attempted.
func (r *recorder) add(ctx context.Context, res model.GroupResult) {
	res = r.e.finish(res, r.byID[res.GroupID])
	j, _, err := r.e.store.RecordGroupResult(ctx, res)
	if err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = fmt.Errorf("rule %s: record result of %s: %w", r.rr.rule.Name, res.Email, err)
		}
		r.mu.Unlock()
		return
	}
	if r.e.opts.Progress != nil {
		r.e.opts.Progress(Progress{
			Phase: PhaseApply, JobID: r.jobID, Rule: r.rr.rule.Name, Group: res.Email, Status: res.Status,
			Done: j.Done, Total: j.Total, Changes: changes(j.Counts), Errors: j.Counts.Errors,
		})
	}
}

// addAll records results that were all computed up front (dry runs, holds).
func (r *recorder) addAll(ctx context.Context, results []model.GroupResult) error {
	for _, res := range results {
		r.add(ctx, res)
	}
	return r.done()
}

func (r *recorder) done() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// saveScope remembers how many groups were in scope after a complete run,
// for the scope-drop hold. It writes only when the number changed.
func (e *Engine) saveScope(ctx context.Context, rr *ruleRun, results []model.GroupResult) error {
	if !rr.desired.Complete {
		return nil
	}
	for _, res := range results {
		if res.Status == model.GroupFailed || res.Status == model.GroupIncomplete {
			return nil
		}
	}
	n := len(rr.desired.Groups)
	if n == rr.actual.LastScope {
		return nil
	}
	st := model.RuleState{Rule: rr.rule.Name, LastScope: n, LastUpdated: e.opts.Now()}
	if err := e.store.PutRuleState(ctx, st); err != nil {
		return fmt.Errorf("rule %s: record scope: %w", rr.rule.Name, err)
	}
	return nil
}

// finalize derives the job's status from its results.
func (e *Engine) finalize(ctx context.Context, jobID string) (model.Job, error) {
	return e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		j.Finished = e.opts.Now()
		switch {
		case len(j.Held) > 0:
			j.Status = model.JobHeld
		case j.Counts.Errors > 0 || j.Counts.Incomplete > 0:
			if j.Done > j.Counts.Errors {
				j.Status = model.JobPartial
			} else {
				j.Status = model.JobFailed
			}
		default:
			j.Status = model.JobDone
		}
		return nil
	})
}

func heldReasons(p model.Plan) []string {
	// Plan.Held already summarises held groups; group reasons are the
	// fallback for plans computed without a summary.
	out := append([]string(nil), p.Held...)
	if len(out) == 0 {
		for _, g := range p.Groups {
			out = append(out, g.Held...)
		}
	}
	for i := range out {
		out[i] = "rule " + p.Rule + ": " + out[i]
	}
	return out
}

func userCounts(p model.Plan) model.Counts {
	return model.Counts{
		UsersCreated:  len(p.CreateUsers),
		UsersUpdated:  len(p.UpdateUsers),
		UsersDisabled: len(p.DisableUsers),
		UsersDeleted:  len(p.DeleteUsers),
	}
}

func changes(c model.Counts) int {
	return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
		c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
}
