package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
	"github.com/groupsync/groupsync/internal/target"
)

// finish ends a rule's part of a job once every group has a result: a
// passed plan's users are deprovisioned (counted in the job and announced
// as a change event), the scope is remembered for the scope-drop hold, and
// the rule finishes in one transaction with the job's counts; the last
// rule ends the job. A busy finish is retried, never acknowledged, so a
// finish whose worker died runs again once its lease expires.
func (e *Engine) finish(ctx context.Context, jobID, rule string) error {
	r, err := e.rule(rule)
	if err != nil {
		return err
	}
	run, err := e.store.RuleRun(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read run: %w", rule, err))
	}
	if run.Finished {
		return e.releaseRule(ctx, jobID, rule)
	}
	if err := e.fence(ctx, jobID, rule); err != nil {
		return err
	}
	release, err := e.stepLease(ctx, "finish:"+jobID+":"+rule)
	if err != nil {
		return err
	}
	defer release()
	h, err := e.gatedPlan(ctx, jobID, rule)
	if err != nil {
		return err
	}
	var (
		counts model.Counts
		errs   []string
		users  []model.UserChange
	)
	switch run.Gate {
	case model.GatePass, model.GateApproved:
		n, err := e.store.CountResults(ctx, jobID, rule)
		if err != nil {
			return retry(fmt.Errorf("rule %s: count results: %w", rule, err))
		}
		if n < run.Groups {
			return nil // an early duplicate: the last apply publishes finish again
		}
		a, err := e.newApplier(ctx, r, jobID)
		if err != nil {
			return err
		}
		disabled := a.deprovision(ctx, h.Plan.DisableUsers, false)
		deleted := a.deprovision(ctx, h.Plan.DeleteUsers, true)
		counts, errs, users = a.counts, a.errs, a.record()
		if err := e.saveScope(ctx, r, run, h); err != nil {
			errs = append(errs, err.Error())
			counts.Errors++
		}
		if len(disabled)+len(deleted) > 0 {
			e.publishChange(ctx, model.ChangeEvent{JobID: jobID, Rule: rule, Status: model.GroupApplied,
				UsersDisabled: disabled, UsersDeleted: deleted, Users: users, Time: e.opts.Now().UTC()})
		}
	case model.GateDryRun, model.GateHeld:
		// The totals say what approval (or a live run) would apply, the
		// users' changes included.
		counts = userCounts(h.Plan)
		users = model.PlannedUserChanges(h.Plan)
	}
	now := e.opts.Now()
	var ended bool
	_, job, err := e.store.UpdateRuleRun(ctx, jobID, rule, func(run *model.RuleRun, j *model.Job) bool {
		running := j.Status == model.JobRunning
		if !store.MergeFinish(run, j, counts, errs, now) {
			return false
		}
		run.Users = append(run.Users, users...)
		ended = running && j.Status != model.JobRunning
		return true
	})
	if err != nil {
		return retry(fmt.Errorf("rule %s: finish: %w", rule, err))
	}
	if ended {
		e.jobEnded(ctx, job)
	}
	if err := e.store.DropStaged(ctx, jobID, rule); err != nil {
		e.log.WarnContext(ctx, "staged reads left behind", "job", jobID, "rule", rule, "err", err)
	}
	return e.releaseRule(ctx, jobID, rule)
}

// saveScope remembers how many groups were in scope after a complete,
// clean run, for the scope-drop hold, and for a source with change hints
// where the next hinted run starts (ruleStateAfter). It writes only when
// something changed.
func (e *Engine) saveScope(ctx context.Context, r config.RunRule, run model.RuleRun, h model.HeldPlan) error {
	job, err := e.store.Job(ctx, run.JobID)
	if err != nil {
		return fmt.Errorf("rule %s: read job: %w", r.Name, err)
	}
	if job.Group != "" {
		return nil
	}
	// Read again now that every result is in: a group marks the run
	// unsettled before its failed result is recorded.
	head, err := e.store.RuleRunHead(ctx, run.JobID, r.Name)
	if err != nil {
		return fmt.Errorf("rule %s: read run: %w", r.Name, err)
	}
	if head.Unsettled {
		return nil
	}
	st, _, err := e.store.RuleState(ctx, r.Name)
	if err != nil {
		return fmt.Errorf("rule %s: read state: %w", r.Name, err)
	}
	next := st
	next.LastScope = len(run.Scope)
	if src, _, err := e.connectors(r); err == nil && job.Counts.Errors == 0 {
		if _, ok := src.(HintSource); ok {
			next = ruleStateAfter(next, r, run, job, h.Plan, h.Nested)
		}
	}
	if next.LastScope == st.LastScope && next.HintWatermark.Equal(st.HintWatermark) &&
		next.LastFull.Equal(st.LastFull) && slices.Equal(next.Nested, st.Nested) && next.Config == st.Config {
		return nil
	}
	next.Rule, next.LastJob, next.LastUpdated = r.Name, run.JobID, e.opts.Now()
	if err := e.store.PutRuleState(ctx, next); err != nil {
		return fmt.Errorf("rule %s: record scope: %w", r.Name, err)
	}
	return nil
}

// publishGroupChange announces an applied group's membership changes.
func (e *Engine) publishGroupChange(ctx context.Context, res model.GroupResult) {
	if res.Status != model.GroupApplied && res.Status != model.GroupIncomplete {
		return
	}
	if res.Counts.MembersAdded+res.Counts.MembersRemove == 0 {
		return
	}
	e.publishChange(ctx, model.ChangeEvent{
		JobID: res.JobID, Rule: res.Rule, GroupID: res.GroupID, GroupEmail: res.Email, Status: res.Status,
		Added: res.Plan.Add, Removed: res.Plan.Remove, Time: res.Finished.UTC(),
	})
}

// publishChange hands an event to Options.Events. A lost event is logged,
// not retried: a retry would find the group in sync and announce nothing.
func (e *Engine) publishChange(ctx context.Context, ev model.ChangeEvent) {
	if e.opts.Events == nil {
		return
	}
	if err := e.opts.Events.PublishChange(ctx, ev); err != nil {
		e.log.ErrorContext(ctx, "change event lost", "job", ev.JobID, "rule", ev.Rule, "group", ev.GroupEmail, "err", err)
	}
}

func isConflict(err error) bool { return errors.Is(err, target.ErrConflict) }

// gatedPlan reads the plan a rule's gate stored. A decided gate always
// has one, so a missing plan is a store that lost it: retrying cannot help.
func (e *Engine) gatedPlan(ctx context.Context, jobID, rule string) (model.HeldPlan, error) {
	h, ok, err := e.store.Plan(ctx, jobID, rule)
	if err != nil {
		return model.HeldPlan{}, retry(fmt.Errorf("rule %s: read plan: %w", rule, err))
	}
	if !ok {
		return model.HeldPlan{}, fmt.Errorf("rule %s: the gate decided but its plan is missing from the store", rule)
	}
	return h, nil
}

// JobNotifier is implemented by an Options.Events that also announces
// finished jobs (the cloud's job events and webhook).
type JobNotifier interface {
	JobEnded(ctx context.Context, j model.Job) error
}

// jobEnded logs one line for a job that has just ended, its level taken
// from the status (log-based metrics and alerts count these lines), and
// hands the job to a JobNotifier. A lost notice is logged, not retried.
func (e *Engine) jobEnded(ctx context.Context, j model.Job) {
	level := slog.LevelInfo
	switch j.Status {
	case model.JobHeld, model.JobPartial:
		level = slog.LevelWarn
	case model.JobFailed:
		level = slog.LevelError
	}
	e.log.Log(ctx, level, "job ended", "job", j.ID, "status", j.Status, "trigger", j.Trigger,
		"groups", j.Total, "changes", changes(j.Counts), "errors", j.Counts.Errors, "held", j.Held)
	n, ok := e.opts.Events.(JobNotifier)
	if !ok {
		return
	}
	if err := n.JobEnded(ctx, j); err != nil {
		e.log.ErrorContext(ctx, "job notice lost", "job", j.ID, "status", j.Status, "err", err)
	}
}
