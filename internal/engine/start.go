package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// start begins (or, redelivered, resumes) a job: it writes the job, takes
// each selected rule, lists the rule's groups in scope afresh and publishes
// one read step per group.
func (e *Engine) start(ctx context.Context, q Queue, jobID string, req Request) error {
	rules, err := e.selectRules(req.Rule)
	if err != nil {
		return err
	}
	now := e.opts.Now()
	job := model.Job{
		ID: jobID, Trigger: req.Trigger, Rule: req.Rule, Group: req.Group,
		DryRun: req.DryRun, Force: req.Force, Full: req.Full, Status: model.JobRunning, Started: now, Updated: now,
	}
	if job.Trigger == "" {
		job.Trigger = model.TriggerCLI
	}
	for _, r := range rules {
		job.Pending = append(job.Pending, r.Name)
	}
	if err := e.store.CreateJob(ctx, job); err != nil {
		if !errors.Is(err, store.ErrExists) {
			return retry(fmt.Errorf("create job: %w", err))
		}
		// A redelivered trigger: resume the job it started.
		old, gerr := e.store.Job(ctx, jobID)
		if gerr != nil {
			return retry(fmt.Errorf("read job: %w", gerr))
		}
		if old.Status != model.JobRunning {
			return nil
		}
		job = old
	}
	if _, err := e.Reap(ctx); err != nil {
		e.log.WarnContext(ctx, "reaping stuck jobs failed", "err", err)
	}
	for _, r := range rules {
		if !pending(job, r.Name) {
			continue
		}
		if err := e.startRule(ctx, q, job, r); err != nil {
			return err
		}
	}
	return nil
}

func pending(j model.Job, rule string) bool {
	for _, r := range j.Pending {
		if r == rule {
			return true
		}
	}
	return false
}

// startRule claims one rule for the job and fans out its reads. A rule
// another live job runs is skipped (busy); a rule whose listing fails
// ends at once (failed): it never plans from a partial listing.
func (e *Engine) startRule(ctx context.Context, q Queue, job model.Job, r config.RunRule) error {
	run, err := e.store.RuleRun(ctx, job.ID, r.Name)
	switch {
	case err == nil && run.Gate != "":
		// Redelivered after the gate: the gate step resumes from there.
		return q.Publish(ctx, Step{Kind: StepGate, JobID: job.ID, Rule: r.Name})
	case err == nil:
		return e.publishReads(ctx, q, run)
	case !errors.Is(err, store.ErrNotFound):
		return retry(fmt.Errorf("rule %s: read run: %w", r.Name, err))
	}
	busy, err := e.claimRule(ctx, job.ID, r.Name)
	if err != nil {
		return err
	}
	if busy != "" {
		if job.Trigger == model.TriggerPoll {
			// The next poll reads the same hints again: nothing is lost.
			reason := fmt.Sprintf("rule %s: job %s is running it; this poll skipped the rule", r.Name, busy)
			return e.endRule(ctx, job.ID, r.Name, model.GateSkipped, reason, false)
		}
		reason := fmt.Sprintf("rule %s: job %s is running it; this run skipped the rule (try again when it ends)", r.Name, busy)
		return e.endRule(ctx, job.ID, r.Name, model.GateBusy, reason, false)
	}
	src, _, err := e.connectors(r)
	if err != nil {
		return e.endRule(ctx, job.ID, r.Name, model.GateFailed, err.Error(), true)
	}
	groups, hinted, err := e.listForRun(ctx, job, r, src)
	if err != nil {
		return e.endRule(ctx, job.ID, r.Name, model.GateFailed, err.Error(), true)
	}
	run = model.RuleRun{JobID: job.ID, Rule: r.Name, Scope: groups, Total: len(groups), Scoped: true, Created: e.opts.Now()}
	if hinted != nil {
		run.Hinted, run.Total = hinted, len(hinted.Read)
	}
	run, _, err = e.store.CreateRuleRun(ctx, run)
	if err != nil {
		return retry(fmt.Errorf("rule %s: store scope: %w", r.Name, err))
	}
	return e.publishReads(ctx, q, run)
}

func (e *Engine) publishReads(ctx context.Context, q Queue, run model.RuleRun) error {
	if run.Total == 0 {
		return q.Publish(ctx, Step{Kind: StepGate, JobID: run.JobID, Rule: run.Rule})
	}
	var read map[string]bool
	if run.Hinted != nil {
		read = make(map[string]bool, len(run.Hinted.Read))
		for _, id := range run.Hinted.Read {
			read[id] = true
		}
	}
	steps := make([]Step, 0, run.Total)
	for i := range run.Scope {
		if read != nil && !read[run.Scope[i].ID] {
			continue // planned from its snapshot
		}
		steps = append(steps, Step{Kind: StepRead, JobID: run.JobID, Rule: run.Rule, Group: &run.Scope[i]})
	}
	return q.Publish(ctx, steps...)
}

// endRule records a rule that ends before its gate (busy or failed) and
// finishes it in the same transaction; release lets a claimed rule go.
func (e *Engine) endRule(ctx context.Context, jobID, rule, decision, reason string, release bool) error {
	if _, _, err := e.store.CreateRuleRun(ctx, model.RuleRun{JobID: jobID, Rule: rule, Scoped: true, Created: e.opts.Now()}); err != nil {
		return retry(fmt.Errorf("rule %s: store run: %w", rule, err))
	}
	now := e.opts.Now()
	var ended bool
	_, job, err := e.store.UpdateRuleRun(ctx, jobID, rule, func(run *model.RuleRun, j *model.Job) bool {
		running := j.Status == model.JobRunning
		gated := store.MergeGate(run, j, decision, []string{reason}, 0, now)
		finished := store.MergeFinish(run, j, model.Counts{}, nil, now)
		ended = running && j.Status != model.JobRunning
		return gated || finished
	})
	if err != nil {
		return retry(fmt.Errorf("rule %s: end run: %w", rule, err))
	}
	if ended {
		e.jobEnded(ctx, job)
	}
	if release {
		return e.releaseRule(ctx, jobID, rule)
	}
	return nil
}
