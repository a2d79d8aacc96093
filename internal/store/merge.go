package store

import (
	"slices"
	"time"

	"github.com/groupsync/groupsync/internal/model"
)

// MergeResult adds a group's first result to its job: one more group done,
// and its counts. Stores call it only when no result was stored yet for
// (job, rule, group), so redelivered work is counted once.
func MergeResult(j *model.Job, r model.GroupResult, now time.Time) {
	j.Done++
	j.Counts.Add(r.Counts)
	j.Updated = now
}

// MergeGate records a gate's decision on its rule run and job in the same
// transaction, so a held reason is never lost between two writes. It
// reports false, changing nothing, when the gate already decided: a
// redelivered gate is a no-op.
func MergeGate(run *model.RuleRun, j *model.Job, decision string, reasons []string, groups int, now time.Time) bool {
	if run.Gate != "" {
		return false
	}
	run.Gate = decision
	run.Reasons = append([]string(nil), reasons...)
	run.Groups = groups
	j.Total += groups
	if decision == model.GateHeld {
		j.Held = append(j.Held, reasons...)
	}
	switch decision {
	case model.GateBusy, model.GateFailed:
		j.Errors = append(j.Errors, reasons...)
		j.Counts.Errors += len(reasons)
	case model.GateSkipped:
		j.Notes = append(j.Notes, reasons...)
	}
	j.Updated = now
	return true
}

// MergeFinish marks a rule's finish on its run and job: the rule-level
// counts and errors (deprovisioning) join the job, the rule leaves Pending,
// and the last rule to finish ends the job with Finalize. It reports
// false, changing nothing, when the rule had already finished.
func MergeFinish(run *model.RuleRun, j *model.Job, c model.Counts, errs []string, now time.Time) bool {
	if run.Finished {
		return false
	}
	run.Finished = true
	j.Counts.Add(c)
	j.Errors = append(j.Errors, errs...)
	j.Pending = slices.DeleteFunc(j.Pending, func(r string) bool { return r == run.Rule })
	j.Updated = now
	if len(j.Pending) == 0 && j.Status == model.JobRunning {
		Finalize(j, now)
	}
	return true
}

// Finalize derives a finished job's status from what it recorded.
func Finalize(j *model.Job, now time.Time) {
	j.Finished = now
	j.Updated = now
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
}

// Fail ends a running job as failed with a reason (a stuck job, a fan-out
// that could not be published). A job that already ended is left alone.
func Fail(j *model.Job, reason string, now time.Time) bool {
	if j.Status != model.JobRunning {
		return false
	}
	j.Errors = append(j.Errors, reason)
	j.Counts.Errors++
	j.Status = model.JobFailed
	j.Finished = now
	j.Updated = now
	return true
}
