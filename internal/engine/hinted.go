package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// HintSource is a Source whose audit log says what changed in a window
// (the Workspace Reports API). A rule on such a source runs on hints
// between full reconciles: it lists the groups, re-reads the groups and
// users the hints name, and plans every other group from its snapshot.
type HintSource interface {
	Source
	// Hints reads what changed in [since, until). An error, or Full in
	// the result, makes the run full.
	Hints(ctx context.Context, since, until time.Time) (model.Hints, error)
	// HintOverlap is how far before the watermark each read starts
	// again: the audit log lists an event some time after it happened.
	HintOverlap() time.Duration
}

// listForRun lists a rule's groups in scope for a run and decides whether
// the run can go on hints. hinted is nil for a full run; a full run that
// a hinted one would have been (the hints failed or showed something they
// cannot follow) says why in the job's notes.
func (e *Engine) listForRun(ctx context.Context, job model.Job, r config.RunRule, src Source) (groups []model.GroupInfo, hinted *model.HintedRun, err error) {
	hs, ok := src.(HintSource)
	if !ok || job.Group != "" {
		groups, err = e.scope(ctx, r, src, job.Group)
		return groups, nil, err
	}
	st, _, err := e.store.RuleState(ctx, r.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("rule %s: read state: %w", r.Name, err)
	}
	now := e.opts.Now()
	routine, why := fullDue(job, r, st, now)
	var h model.Hints
	if why == "" {
		// Events from before the last full reconcile are in what it read,
		// however late the audit log lists them.
		since := st.HintWatermark.Add(-hs.HintOverlap())
		if since.Before(st.LastFull) {
			since = st.LastFull
		}
		h, err = hs.Hints(ctx, since, now)
		switch {
		case err != nil:
			why = fmt.Sprintf("change hints could not be read (%v)", err)
		case h.Full:
			why = "change hints cannot be followed: " + h.Reason
		case h.Until.Before(now):
			why = fmt.Sprintf("change hints stop at %s, before the run's start: a gap", h.Until.UTC().Format(time.RFC3339))
		}
	}
	all, err := e.listGroups(ctx, r, src)
	if err != nil {
		return nil, nil, err
	}
	if groups, err = inScope(r, all, ""); err != nil {
		return nil, nil, err
	}
	if why == "" {
		hinted, why, err = e.hintedReads(ctx, r, st, h, all, groups)
		if err != nil {
			return nil, nil, err
		}
	}
	if why != "" && !routine {
		e.noteJob(ctx, job.ID, fmt.Sprintf("rule %s: full read: %s", r.Name, why))
	}
	return groups, hinted, nil
}

// fullDue says whether a rule's run must be full before any hint is
// read: routine reasons (asked for, due, never done) are not noted in
// the job; a watermark that makes no sense is.
func fullDue(job model.Job, r config.RunRule, st model.RuleState, now time.Time) (routine bool, why string) {
	switch {
	case job.Full:
		return true, "a full read was asked for"
	case job.DryRun || r.DryRun:
		// A dry run applies nothing, so its snapshots never move: only a
		// full read shows what it would do.
		return true, "dry run"
	case r.FullEvery == 0 || st.LastFull.IsZero() || now.Sub(st.LastFull) >= r.FullEvery:
		return true, "the full reconcile is due"
	case st.Config != r.Fingerprint:
		return true, "the rule's config changed"
	case st.HintWatermark.IsZero() || st.HintWatermark.Before(st.LastFull) || st.HintWatermark.After(now):
		return false, "the change hint watermark shows a gap"
	}
	return false, ""
}

// hintedReads picks the groups a hinted run reads: those the hints name,
// those new to the scope or renamed since their snapshot, and those the
// last apply left unsettled (no hash). why is set instead when the hints
// cannot be trusted: a group with a snapshot was deleted, or a named
// group is nested in another (its parents' members change unnamed).
func (e *Engine) hintedReads(ctx context.Context, r config.RunRule, st model.RuleState, h model.Hints, all, groups []model.GroupInfo) (*model.HintedRun, string, error) {
	snaps, err := e.store.Snapshots(ctx, r.Name)
	if err != nil {
		return nil, "", fmt.Errorf("rule %s: read snapshots: %w", r.Name, err)
	}
	owned, err := e.store.OwnedAll(ctx, r.Name, model.KindGroup)
	if err != nil {
		return nil, "", fmt.Errorf("rule %s: read owned groups: %w", r.Name, err)
	}
	listed := make(map[string]bool, len(all))
	asUser := setOf(h.Users)
	for _, g := range all {
		listed[g.ID] = true
		// The admin log names a group added to or removed from another
		// as its member's email, like a user's.
		if asUser[model.NormalizeEmail(g.Email)] || asUser[model.NormalizeEmail(g.ID)] {
			return nil, fmt.Sprintf("group %s was added to or removed from a group", g.Email), nil
		}
	}
	bySnap := make(map[string]model.Snapshot, len(snaps))
	for _, s := range snaps {
		if !listed[s.GroupID] {
			return nil, fmt.Sprintf("group %s was deleted", s.Email), nil
		}
		bySnap[s.GroupID] = s
	}
	nested := setOf(st.Nested)
	named := make(map[string]bool, len(h.Groups))
	for _, k := range h.Groups {
		k = model.NormalizeEmail(k)
		if nested[k] {
			return nil, fmt.Sprintf("group %s, named by a hint, is nested in another group", k), nil
		}
		named[k] = true
	}
	isOwned := make(map[string]bool, len(owned))
	for _, o := range owned {
		isOwned[o.SourceID] = true
	}
	hr := &model.HintedRun{Users: h.Users, Until: h.Until}
	for _, g := range groups {
		s, ok := bySnap[g.ID]
		if !ok || s.Hash == "" || !isOwned[g.ID] || named[model.NormalizeEmail(g.ID)] || named[model.NormalizeEmail(g.Email)] ||
			model.NormalizeEmail(s.Email) != model.NormalizeEmail(g.Email) || s.Name != g.Name {
			hr.Read = append(hr.Read, g.ID)
		}
	}
	return hr, "", nil
}

// computeHinted plans a hinted run's whole rule: the groups it read as
// read, every other group in scope from its snapshot. Users are swept
// only when a group was read or a user named: with neither, nothing a
// user record could change is planned, and each snapshot's hash stands.
func (e *Engine) computeHinted(ctx context.Context, r config.RunRule, run model.RuleRun, staged []model.Membership, force bool) (model.Plan, error) {
	actual, err := e.actual(ctx, r.Name, nil)
	if err != nil {
		return model.Plan{}, err
	}
	var users map[string]model.User
	if len(staged) > 0 || len(run.Hinted.Users) > 0 {
		src, _, err := e.connectors(r)
		if err != nil {
			return model.Plan{}, err
		}
		if users, err = e.users.get(ctx, r.Source, src); err != nil {
			return model.Plan{}, fmt.Errorf("rule %s: %w", r.Name, err)
		}
	}
	reads := append(staged[:len(staged):len(staged)], carried(r, run, staged, actual, users)...)
	p, err := e.planRule(r, users, reads, actual, force, true)
	if err != nil {
		return model.Plan{}, err
	}
	// The limits are decided over the whole rule; applying is only for
	// the groups that change: a poll must not cost a step and a result
	// per group.
	p.Groups = slices.DeleteFunc(p.Groups, func(gp model.GroupPlan) bool { return settled(gp, actual) })
	return p, nil
}

// settled reports whether applying a group plan would change nothing: no
// write, no note, and the snapshot already records its hash.
func settled(gp model.GroupPlan, actual plan.Actual) bool {
	s, ok := actual.Snapshots[gp.GroupID]
	return ok && !gp.CreateGroup && !gp.UpdateGroup && len(gp.Add) == 0 && len(gp.Remove) == 0 &&
		!gp.Incomplete && len(gp.Held) == 0 && len(gp.Skipped) == 0 &&
		s.Hash == gp.Hash && s.Email == gp.Email && s.Name == gp.Name
}

// carried builds the desired membership of each group in scope a hinted
// run did not read: its snapshot's members, less the named users who are
// gone from the directory or suspended (their groups are not named).
func carried(r config.RunRule, run model.RuleRun, staged []model.Membership, actual plan.Actual, users map[string]model.User) []model.Membership {
	read := make(map[string]bool, len(staged))
	for _, m := range staged {
		read[m.Group.ID] = true
	}
	gone := goneUsers(r, run.Hinted.Users, actual, users)
	var out []model.Membership
	for _, g := range run.Scope {
		if read[g.ID] {
			continue
		}
		s, ok := actual.Snapshots[g.ID]
		if !ok {
			// The start step reads every group without a snapshot; one
			// lost since fails closed rather than look empty.
			out = append(out, model.Membership{Group: g, Incomplete: true,
				Problems: []string{"the group's snapshot is gone since the run started; read at the next run"}})
			continue
		}
		m := model.Membership{Group: g, Members: make([]model.Member, 0, len(s.MemberIDs))}
		for _, id := range s.MemberIDs {
			if gone[id] {
				continue
			}
			m.Members = append(m.Members, model.Member{ID: id, Email: actual.Users[id].Email})
		}
		if users == nil {
			m.Hash = s.Hash
		}
		out = append(out, m)
	}
	return out
}

// goneUsers resolves the hints' user keys (emails or IDs) to source IDs
// and returns those the directory no longer has or reports suspended
// (when the rule drops suspended members).
func goneUsers(r config.RunRule, keys []string, actual plan.Actual, users map[string]model.User) map[string]bool {
	if len(keys) == 0 {
		return nil
	}
	want := setOf(keys)
	ids := map[string]bool{}
	for id, o := range actual.Users {
		if want[strings.ToLower(id)] || want[model.NormalizeEmail(o.Email)] {
			ids[id] = true
		}
	}
	for id, u := range users {
		if want[strings.ToLower(id)] || want[model.NormalizeEmail(u.Email)] {
			ids[id] = true
		}
	}
	gone := map[string]bool{}
	for id := range ids {
		u, ok := users[id]
		if !ok || (u.Suspended && !r.Members.IncludeSuspended) {
			gone[id] = true
		}
	}
	return gone
}

// noteJob adds a note to a job once (a redelivered start notes again).
func (e *Engine) noteJob(ctx context.Context, jobID, note string) {
	_, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		if !slices.Contains(j.Notes, note) {
			j.Notes = append(j.Notes, note)
		}
		return nil
	})
	if err != nil {
		e.log.WarnContext(ctx, "job note lost", "job", jobID, "note", note, "err", err)
	}
}

// ruleState is what a clean run leaves in a rule's state for the next
// one: the hint watermark, when the last full reconcile started and the
// groups nested in the rule's groups. A run over one group or approving a
// full plan changes none of them.
//
// A run that created users under a mapping leaves the next run full: the
// mapping may refer to them (a manager's target ID), and only a full run
// reads every user again.
func ruleStateAfter(st model.RuleState, r config.RunRule, run model.RuleRun, job model.Job, p model.Plan, flattened []string) model.RuleState {
	nested := map[string]bool{}
	switch {
	case run.Hinted != nil:
		st.HintWatermark = run.Hinted.Until
		for _, k := range st.Nested {
			nested[k] = true
		}
	case job.Group != "" || job.Trigger == model.TriggerApprove:
		return st
	default:
		st.HintWatermark, st.LastFull, st.Config = run.Created, run.Created, r.Fingerprint
	}
	if r.Mapping != nil && len(p.CreateUsers) > 0 {
		st.LastFull = time.Time{}
	}
	for _, k := range flattened {
		nested[k] = true
	}
	st.Nested = sortedSet(nested)
	return st
}

func setOf(keys []string) map[string]bool {
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[model.NormalizeEmail(k)] = true
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
