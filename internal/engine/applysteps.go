package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// usersStep creates and updates a passed rule's users (groups need their
// target IDs), then publishes one apply step per group plan.
func (e *Engine) usersStep(ctx context.Context, q Queue, jobID, rule string) error {
	r, err := e.rule(rule)
	if err != nil {
		return err
	}
	if err := e.fence(ctx, jobID, rule); err != nil {
		return err
	}
	// A warm cloud instance may have served another job: the target's
	// index of its objects must be this job's.
	e.freshFor(jobID)
	release, err := e.stepLease(ctx, "users:"+jobID+":"+rule)
	if err != nil {
		return err
	}
	defer release()
	run, err := e.store.RuleRun(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read run: %w", rule, err))
	}
	if run.Gate != model.GatePass && run.Gate != model.GateApproved {
		return nil
	}
	h, err := e.gatedPlan(ctx, jobID, rule)
	if err != nil {
		return err
	}
	a, err := e.newApplier(ctx, r, jobID)
	if err != nil {
		return err
	}
	if !run.UsersDone {
		a.createUsers(ctx, h.Plan.CreateUsers)
		a.updateUsers(ctx, h.Plan.UpdateUsers)
		// Done with: the group steps below need only the group plans.
		h.Plan.CreateUsers, h.Plan.UpdateUsers = nil, nil
		now := e.opts.Now()
		if _, _, err := e.store.UpdateRuleRun(ctx, jobID, rule, func(run *model.RuleRun, j *model.Job) bool {
			if run.UsersDone {
				return false
			}
			run.UsersDone = true
			run.Users = append(run.Users, a.record()...)
			j.Counts.Add(a.counts)
			j.Errors = append(j.Errors, a.errs...)
			j.Notes = append(j.Notes, a.notes...)
			j.Updated = now
			return true
		}); err != nil {
			return retry(fmt.Errorf("rule %s: record users: %w", rule, err))
		}
	}
	if len(h.Plan.Groups) == 0 {
		return q.Publish(ctx, Step{Kind: StepFinish, JobID: jobID, Rule: rule})
	}
	creates := 0
	for _, gp := range h.Plan.Groups {
		if gp.CreateGroup {
			creates++
		}
	}
	steps := make([]Step, len(h.Plan.Groups))
	for i, gp := range h.Plan.Groups {
		ga := a.groupApply(gp)
		ga.GroupCreates = creates
		ga.Problems, ga.Cycles = h.Problems[gp.GroupID], h.Cycles[gp.GroupID]
		steps[i] = Step{Kind: StepApply, JobID: jobID, Rule: rule, Apply: &ga}
	}
	return q.Publish(ctx, steps...)
}

// apply applies one group's plan under the group's lease, records its
// result and, as the rule's last group, publishes the finish step.
func (e *Engine) apply(ctx context.Context, q Queue, jobID, rule string, ga GroupApply) error {
	r, err := e.rule(rule)
	if err != nil {
		return err
	}
	if err := e.fence(ctx, jobID, rule); err != nil {
		return err
	}
	_, tgt, err := e.connectors(r)
	if err != nil {
		return err
	}
	e.freshFor(jobID)
	release, err := e.stepLease(ctx, "apply:"+jobID+":"+rule+":"+ga.Plan.GroupID)
	if err != nil {
		return err
	}
	res := e.applyGroup(ctx, r, tgt, jobID, ga)
	release()
	res.Problems, res.Cycles = append(ga.Problems, res.Problems...), ga.Cycles
	res = e.finishResult(res)
	if res.Status == model.GroupFailed || res.Status == model.GroupIncomplete {
		if _, _, err := e.store.UpdateRuleRun(ctx, jobID, rule, func(run *model.RuleRun, _ *model.Job) bool {
			was := run.Unsettled
			run.Unsettled = true
			return !was
		}); err != nil {
			return retry(fmt.Errorf("rule %s: mark unsettled: %w", rule, err))
		}
	}
	j, first, err := e.store.RecordGroupResult(ctx, res)
	if err != nil {
		return retry(fmt.Errorf("record result of %s: %w", res.Email, err))
	}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: PhaseApply, JobID: jobID, Rule: rule, Group: res.Email, Status: res.Status,
			Done: j.Done, Total: j.Total, Changes: changes(j.Counts), Errors: j.Counts.Errors})
	}
	if first {
		e.publishGroupChange(ctx, res)
	}
	n, err := e.store.CountResults(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: count results: %w", rule, err))
	}
	run, err := e.store.RuleRunHead(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read run: %w", rule, err))
	}
	if n >= run.Groups {
		return q.Publish(ctx, Step{Kind: StepFinish, JobID: jobID, Rule: rule})
	}
	return nil
}

// applyGroup applies one group plan. The snapshot is written only when the
// membership or hash changed, so an unchanged group costs nothing; after a
// failed membership change the snapshot is left alone and the same changes
// are planned again next run (they are idempotent).
func (e *Engine) applyGroup(ctx context.Context, r config.RunRule, tgt Target, jobID string, ga GroupApply) model.GroupResult {
	gp := ga.Plan
	res := e.newResult(jobID, r.Name, gp)
	prev, hadSnap, err := e.store.Snapshot(ctx, r.Name, gp.GroupID)
	if err != nil {
		return e.failResult(res, fmt.Sprintf("read snapshot: %v", err))
	}
	owned, isOwned, err := e.store.Owned(ctx, r.Name, model.KindGroup, gp.GroupID)
	if err != nil {
		return e.failResult(res, fmt.Sprintf("read group record: %v", err))
	}
	gid := gp.TargetID
	info := model.GroupInfo{ID: gp.GroupID, Email: gp.Email, Name: gp.Name, DisplayName: gp.DisplayName}
	switch {
	case gp.CreateGroup && isOwned:
		// An earlier delivery of this step created it.
		gid = owned.TargetID
	case gp.CreateGroup:
		expectCreates(tgt, model.KindGroup, ga.GroupCreates)
		c, err := tgt.CreateGroup(ctx, info, target.CreateOptions{Active: true, Adopt: r.Policy.AdoptExisting})
		if err != nil {
			if isConflict(err) {
				return e.failResult(res, fmt.Sprintf("group %s exists in the target and is not owned by groupsync (set policy.adopt_existing to adopt it)", gp.Email))
			}
			return e.failResult(res, fmt.Sprintf("create group: %v", err))
		}
		gid = c.ID
		if c.TakenOver {
			res.Problems = append(res.Problems, fmt.Sprintf("group %s: taken over as groupsync's own (it carries the source ID; its ownership record was lost)", gp.Email))
		}
		o := model.Owned{Rule: r.Name, Kind: model.KindGroup, SourceID: gp.GroupID, TargetID: c.ID, Created: !c.Adopted, Email: gp.Email, Name: gp.Name, Hash: model.DisplayHash(info), Active: true, Updated: e.opts.Now()}
		if err := e.store.PutOwned(ctx, o); err != nil {
			return e.failResult(res, fmt.Sprintf("record group: %v", err))
		}
		res.Counts.GroupsCreated++
	case gp.UpdateGroup && (owned.Email != gp.Email || owned.Name != gp.Name || owned.Hash != model.DisplayHash(info)):
		if err := tgt.UpdateGroup(ctx, gid, info); err != nil {
			return e.failResult(res, fmt.Sprintf("update group: %v", err))
		}
		owned.Email, owned.Name, owned.Hash, owned.Updated = gp.Email, gp.Name, model.DisplayHash(info), e.opts.Now()
		if err := e.store.PutOwned(ctx, owned); err != nil {
			return e.failResult(res, fmt.Sprintf("record group: %v", err))
		}
		res.Counts.GroupsUpdated++
	}

	// A redelivered apply finds its changes in the snapshot already and
	// writes nothing again.
	// Snapshots are sorted sets (applyDiff): a 50,000-member group looks
	// its changes up by binary search, not by scanning.
	inSnapshot := func(id string) bool { return slices.Contains(prev.MemberIDs, id) }
	if slices.IsSorted(prev.MemberIDs) {
		inSnapshot = func(id string) bool { _, ok := slices.BinarySearch(prev.MemberIDs, id); return ok }
	}
	pending := func(ids []string, applied bool) []string {
		var out []string
		for _, id := range ids {
			if inSnapshot(id) != applied {
				out = append(out, id)
			}
		}
		return out
	}
	targets := ga.targets()
	add, skipped := targetIDs(pending(gp.Add, true), targets, ga, &res)
	remove, _ := targetIDs(pending(gp.Remove, false), targets, ga, &res)
	if len(add)+len(remove) > 0 {
		if err := tgt.ModifyMembers(ctx, gid, add, remove); err != nil {
			return e.failResult(res, fmt.Sprintf("change members: %v", err))
		}
	}
	res.Counts.MembersAdded = len(add)
	res.Counts.MembersRemove = len(remove)

	members := applyDiff(prev.MemberIDs, without(gp.Add, skipped), gp.Remove)
	hash := gp.Hash
	if gp.Incomplete || len(skipped) > 0 || len(res.Errors) > 0 {
		// Not at the desired state yet: plan the group again next run.
		hash = ""
	}
	switch {
	case gp.LeftScope && len(members) == 0:
		// The group left the scope and is now empty in the target.
		if hadSnap {
			if err := e.store.DeleteSnapshot(ctx, r.Name, gp.GroupID); err != nil {
				return e.failResult(res, fmt.Sprintf("drop snapshot: %v", err))
			}
		}
	case !hadSnap || hash != prev.Hash || !slices.Equal(members, prev.MemberIDs) || gp.Email != prev.Email || gp.Name != prev.Name:
		snap := model.Snapshot{Rule: r.Name, GroupID: gp.GroupID, Email: gp.Email, Name: gp.Name, MemberIDs: members, Hash: hash, Updated: e.opts.Now()}
		if err := e.store.PutSnapshot(ctx, snap); err != nil {
			return e.failResult(res, fmt.Sprintf("record snapshot: %v", err))
		}
	}
	res.Status = e.statusOf(res, gp)
	return res
}

// targetIDs maps source user IDs to the target IDs the users step
// resolved. IDs without one are returned in skipped, with the reason in
// the result.
func targetIDs(ids []string, targets map[string]string, ga GroupApply, res *model.GroupResult) (out, skipped []string) {
	for _, id := range ids {
		if tid, ok := targets[id]; ok && tid != "" {
			out = append(out, tid)
			continue
		}
		skipped = append(skipped, id)
		why, ok := ga.Missing[id]
		if !ok {
			why = fmt.Sprintf("user %s has no target user", ga.Plan.Label(id))
		}
		res.Errors = append(res.Errors, why)
	}
	return out, skipped
}

// targets maps the plan's source user IDs to target IDs, for this group
// only.
func (ga GroupApply) targets() map[string]string {
	if ga.Targets == nil {
		return ga.Users
	}
	out := make(map[string]string, len(ga.Targets))
	for i, id := range slices.Concat(ga.Plan.Add, ga.Plan.Remove) {
		if i < len(ga.Targets) && ga.Targets[i] != "" {
			out[id] = ga.Targets[i]
		}
	}
	return out
}

func without(ids, skipped []string) []string {
	if len(skipped) == 0 {
		return ids
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(skipped, id) {
			out = append(out, id)
		}
	}
	return out
}

// applyDiff returns sorted (base ∪ add) − remove.
func applyDiff(base, add, remove []string) []string {
	set := make(map[string]bool, len(base)+len(add))
	for _, id := range base {
		set[id] = true
	}
	for _, id := range add {
		set[id] = true
	}
	for _, id := range remove {
		delete(set, id)
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
