package engine

import (
	"github.com/groupsync/groupsync/internal/model"
)

func (e *Engine) newResult(jobID, rule string, gp model.GroupPlan) model.GroupResult {
	now := e.opts.Now()
	return model.GroupResult{
		JobID: jobID, Rule: rule, GroupID: gp.GroupID, Email: gp.Email,
		Plan: gp, Counts: model.Counts{Groups: 1}, Started: now,
	}
}

func (e *Engine) failResult(res model.GroupResult, msg string) model.GroupResult {
	res.Errors = append(res.Errors, msg)
	res.Counts.Errors = len(res.Errors)
	res.Status = model.GroupFailed
	res.Finished = e.opts.Now()
	return res
}

// statusOf names a finished group's outcome.
func (e *Engine) statusOf(res model.GroupResult, gp model.GroupPlan) string {
	switch {
	case len(res.Errors) > 0:
		return model.GroupFailed
	case gp.Incomplete:
		return model.GroupIncomplete
	case gp.Empty():
		return model.GroupUnchanged
	}
	return model.GroupApplied
}

// finishResult stamps a result's counts and end time.
func (e *Engine) finishResult(res model.GroupResult) model.GroupResult {
	res.Finished = e.opts.Now()
	res.Counts.Errors = len(res.Errors)
	switch res.Status {
	case model.GroupUnchanged:
		res.Counts.Unchanged = 1
	case model.GroupIncomplete:
		res.Counts.Incomplete = 1
	case model.GroupHeld:
		res.Counts.Held = 1
	}
	return res
}

// planOnly turns group plans into results for dry runs and held plans:
// nothing was applied, the counts say what would be.
func (e *Engine) planOnly(jobID, rule string, groups []model.GroupPlan, held bool) []model.GroupResult {
	out := make([]model.GroupResult, len(groups))
	for i, gp := range groups {
		res := e.newResult(jobID, rule, gp)
		res.Counts.MembersAdded = len(gp.Add)
		res.Counts.MembersRemove = len(gp.Remove)
		if gp.CreateGroup {
			res.Counts.GroupsCreated = 1
		}
		if gp.UpdateGroup {
			res.Counts.GroupsUpdated = 1
		}
		switch {
		case held:
			res.Status = model.GroupHeld
		case gp.Empty():
			res.Status = model.GroupUnchanged
		default:
			res.Status = model.GroupPlanned
		}
		out[i] = res
	}
	return out
}
