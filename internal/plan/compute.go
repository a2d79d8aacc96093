package plan

import (
	"fmt"
	"slices"
	"sort"

	"github.com/groupsync/groupsync/internal/model"
)

// Compute diffs one rule's desired state against what groupsync last
// applied and filters the difference through the rule's policy. It is pure:
// no I/O, the inputs are not modified, and equal inputs give equal plans
// whatever the order of d.Groups.
//
// Groups. For each desired group the desired members are m.MemberIDs(). The
// applied members are those of the group's snapshot, but only when the group
// is owned (a.Groups has it): the target group of an unowned group is about to
// be created, so an old snapshot says nothing about it. An unowned group is
// created (CreateGroup) unless no_create or mode remove-only; without a target
// group its adds are skipped. An owned group whose recorded email (compared
// with model.NormalizeEmail) or name differs from the source is updated
// (UpdateGroup) unless no_update.
//
// Members. Add is desired − applied and Remove is applied − desired, both
// sorted source user IDs. Removals are dropped, with a Skipped reason, when
// the group's read was incomplete (fail closed: GroupPlan.Incomplete), in mode
// add-only, or with no_delete. Only owned users are removed: a removal needs
// the user's target ID. Adds are dropped in mode remove-only. An add whose
// user is not owned needs that user created: it goes to Plan.CreateUsers
// (once per plan; the record from d.Users, or a minimal one from the member's
// email) unless no_create, or create_missing_users is off, in which case the
// add is dropped with a reason. create_as_disabled is the engine's business
// when it creates; the plan does not reflect it, except that an owned member
// whose record is inactive is re-enabled (UpdateUsers) only when
// create_as_disabled is off (users created disabled stay disabled) and the
// mode is not remove-only. adopt_existing is the engine's business too: an
// object it adopts is recorded as owned and from then on is planned like one
// groupsync created.
//
// Users. An owned user present in d.Users is updated (rename, name change,
// suspend, unsuspend) when model.UserHash of the source user differs from the
// owned record's Hash, unless no_update. Only members of a desired group are
// considered, or, when d.Complete, every owned user except those being
// deprovisioned and inactive non-members (an update would re-enable them).
//
// Deprovision happens only when d.Complete: an owned user who is a member of
// no desired group is disabled (if active) or deleted, per p.Deprovision. It
// is suppressed by no_delete, by mode add-only and, failing closed, when any
// desired group's read was incomplete (the user may be a member we could not
// see).
//
// Groups that left the scope (d.Complete, a snapshot exists, the group is not
// desired) are emptied: a GroupPlan removes all their applied members, subject
// to mode, no_delete and the limits. The target group itself is never
// deleted.
//
// Limits, all skipped when p.Force: a group whose removals exceed
// p.MaxDeletesPerGroup out of its applied members is held (GroupPlan.Held,
// and a summary in Plan.Held); the plan is held when plan.Deletes() exceeds
// p.MaxDeletes out of all applied memberships plus active owned users; and,
// when d.Complete and a.LastScope > 0, when the groups in scope fell by more
// than p.MaxScopeDrop out of a.LastScope. A held plan still lists every
// change so that an operator can review it.
//
// Output is deterministic: groups sorted by normalized email then ID, user
// lists by source ID. GroupPlan.Hash is model.GroupHash of the desired group,
// or the desired membership's Hash when set (a hinted run's group planned
// from its snapshot, whose members' records the run did not read);
// Plan.SourceHash covers every desired group's hash and incomplete flag in
// group-ID order, so approve can tell whether the source has changed.
//
// Compute returns an error only for invalid input: an unknown mode or
// deprovision action, or a missing or duplicate group ID. An empty mode means
// sync and an empty deprovision means disable, the documented defaults.
func Compute(d Desired, a Actual, p Policy) (model.Plan, error) {
	mode, deprovision, err := validate(d, p)
	if err != nil {
		return model.Plan{}, err
	}
	c := &computer{
		d:           d,
		a:           a,
		p:           p,
		mode:        mode,
		deprovision: deprovision,
		idx:         make(map[string]int32, len(d.Users)),
		states:      make([]userState, 0, len(d.Users)),
		applied:     make(map[string]int),
	}

	groups := append([]model.Membership(nil), d.Groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Group.ID < groups[j].Group.ID })
	plan := model.Plan{Rule: d.Rule, Groups: make([]model.GroupPlan, 0, len(groups))}
	desired := make(map[string]bool, len(groups))
	hashParts := make([]string, 0, 2*len(groups))
	for _, m := range groups {
		desired[m.Group.ID] = true
		gp := c.desiredGroup(m)
		plan.Groups = append(plan.Groups, gp)
		hashParts = append(hashParts, gp.Hash, bit(m.Incomplete))
		if m.Incomplete {
			c.incomplete = true
		}
	}
	if d.Complete {
		for _, id := range sortedKeys(a.Snapshots) {
			if desired[id] {
				continue
			}
			if gp, ok := c.leftScopeGroup(a.Snapshots[id]); ok {
				plan.Groups = append(plan.Groups, gp)
			}
		}
	}
	plan.SourceHash = model.HashStrings(hashParts...)

	sort.SliceStable(plan.Groups, func(i, j int) bool {
		ei, ej := model.NormalizeEmail(plan.Groups[i].Email), model.NormalizeEmail(plan.Groups[j].Email)
		if ei != ej {
			return ei < ej
		}
		return plan.Groups[i].GroupID < plan.Groups[j].GroupID
	})
	c.users(&plan)
	if !p.Force {
		c.limits(&plan)
	}
	return plan, nil
}

func validate(d Desired, p Policy) (mode Mode, deprovision Deprovision, err error) {
	mode = p.Mode
	switch mode {
	case "":
		mode = ModeSync
	case ModeSync, ModeAddOnly, ModeRemoveOnly:
	default:
		return "", "", fmt.Errorf("plan: unknown mode %q (want %s, %s or %s)", p.Mode, ModeSync, ModeAddOnly, ModeRemoveOnly)
	}
	deprovision = p.Deprovision
	switch deprovision {
	case "":
		deprovision = DeprovisionDisable
	case DeprovisionDisable, DeprovisionDelete, DeprovisionNone:
	default:
		return "", "", fmt.Errorf("plan: unknown deprovision action %q (want %s, %s or %s)", p.Deprovision, DeprovisionDisable, DeprovisionDelete, DeprovisionNone)
	}
	seen := make(map[string]bool, len(d.Groups))
	for _, m := range d.Groups {
		id := m.Group.ID
		if id == "" {
			return "", "", fmt.Errorf("plan: desired group %q has no ID", m.Group.Email)
		}
		if seen[id] {
			return "", "", fmt.Errorf("plan: desired group ID %q appears more than once", id)
		}
		seen[id] = true
	}
	return mode, deprovision, nil
}

// computer carries the inputs and the state shared between the phases of
// one Compute call.
type computer struct {
	d           Desired
	a           Actual
	p           Policy
	mode        Mode
	deprovision Deprovision

	// createIDs are the source IDs of the users to create, each once
	// (userState.creating), however many groups they are in.
	createIDs []string
	// idx interns each source user ID this plan meets, once: states and
	// hashes are indexed by it, so a membership costs one map lookup.
	idx    map[string]int32
	states []userState
	// hashes holds each interned user's model.UserHash, 64 hex bytes
	// at 64×index, contiguous so hashing a group reads one arena.
	hashes []byte
	// ownedIDs is a.Users's keys, sorted once.
	ownedIDs []string
	// Buffers reused across groups: groupHash's input, a group's sorted
	// members, their IDs and their indexes.
	hashBuf []byte
	memBuf  []model.Member
	idBuf   []string
	ixBuf   []int32
	// applied is the number of applied members per planned group, the
	// base of the per-group limit.
	applied map[string]int
	// incomplete is set when any desired group's read was incomplete.
	incomplete bool
}

func (c *computer) desiredGroup(m model.Membership) model.GroupPlan {
	g := m.Group
	mems := c.sortedMembers(m.Members)
	ids, ix := c.idBuf[:0], c.ixBuf[:0]
	for _, mem := range mems {
		i := c.intern(mem.ID)
		ids, ix = append(ids, mem.ID), append(ix, i)
		st := &c.states[i]
		st.desired = true
		if st.email == "" {
			st.email = mem.Email
		}
	}
	// The buffers are reused by the next group: nothing below keeps them.
	c.idBuf, c.ixBuf = ids, ix
	gp := model.GroupPlan{
		GroupID:     g.ID,
		Email:       g.Email,
		Name:        g.Name,
		DisplayName: g.DisplayName,
		Incomplete:  m.Incomplete,
		Hash:        m.Hash,
	}
	if gp.Hash == "" {
		gp.Hash = c.groupHash(g, ix)
	}

	owned, isOwned := c.a.Groups[g.ID]
	var applied []string
	if isOwned {
		gp.TargetID = owned.TargetID
		if s, ok := c.a.Snapshots[g.ID]; ok {
			applied = sortedSet(s.MemberIDs)
		}
		if model.NormalizeEmail(owned.Email) != model.NormalizeEmail(g.Email) || owned.Name != g.Name || owned.Hash != model.DisplayHash(g) {
			if c.p.NoUpdate {
				gp.Skipped = append(gp.Skipped, fmt.Sprintf("update group (was %s %q): no_update is set", owned.Email, owned.Name))
			} else {
				gp.UpdateGroup = true
			}
		}
	} else {
		switch {
		case c.p.NoCreate:
			gp.Skipped = append(gp.Skipped, "create group: no_create is set")
		case c.mode == ModeRemoveOnly:
			gp.Skipped = append(gp.Skipped, "create group: mode is remove-only")
		default:
			gp.CreateGroup = true
		}
	}
	c.applied[g.ID] = len(applied)

	add, remove := diff(ids, applied)
	switch {
	case len(add) == 0:
	case c.mode == ModeRemoveOnly:
		gp.Skipped = append(gp.Skipped, c.note("add", add, "mode is remove-only"))
	case !isOwned && !gp.CreateGroup:
		gp.Skipped = append(gp.Skipped, c.note("add", add, "the group is not in the target"))
	default:
		gp.Add = c.addable(&gp, add)
	}
	switch {
	case len(remove) == 0:
	case m.Incomplete:
		gp.Skipped = append(gp.Skipped, c.note("remove", remove, "the group's membership read was incomplete (fail closed)"))
	default:
		gp.Remove = c.removable(&gp, remove)
	}
	return gp
}

// leftScopeGroup plans emptying a group that has a snapshot but is no
// longer in the rule's scope. ok is false when there is nothing to say.
func (c *computer) leftScopeGroup(s model.Snapshot) (gp model.GroupPlan, ok bool) {
	applied := sortedSet(s.MemberIDs)
	if len(applied) == 0 {
		return model.GroupPlan{}, false
	}
	info := model.GroupInfo{ID: s.GroupID, Email: s.Email, Name: s.Name}
	gp = model.GroupPlan{
		GroupID:   s.GroupID,
		Email:     s.Email,
		Name:      s.Name,
		Hash:      c.groupHash(info, nil),
		LeftScope: true,
		Skipped:   []string{"delete group: a group that leaves the scope is emptied, never deleted"},
	}
	owned, isOwned := c.a.Groups[s.GroupID]
	if !isOwned {
		gp.Skipped = append(gp.Skipped, c.note("remove", applied, "the group is not owned by groupsync"))
		return gp, true
	}
	gp.TargetID = owned.TargetID
	c.applied[s.GroupID] = len(applied)
	gp.Remove = c.removable(&gp, applied)
	return gp, true
}

// addable returns the adds whose user is in the target or will be created,
// noting the others.
func (c *computer) addable(gp *model.GroupPlan, add []string) []string {
	var noCreate, noMissing, noEmail []string
	keep := add[:0] // add is this plan's own: filter it in place
	for _, id := range add {
		i := c.intern(id)
		if _, ok := c.a.Users[id]; ok || c.states[i].creating {
			keep = append(keep, id)
			continue
		}
		switch {
		case c.p.NoCreate:
			noCreate = append(noCreate, id)
		case !c.p.CreateMissingUsers:
			noMissing = append(noMissing, id)
		default:
			if _, ok := c.userToCreate(id); !ok {
				noEmail = append(noEmail, id)
				continue
			}
			c.createIDs = append(c.createIDs, id)
			c.states[i].creating = true
			keep = append(keep, id)
		}
	}
	if len(noCreate) > 0 {
		gp.Skipped = append(gp.Skipped, c.note("add", noCreate, "user not in the target and no_create is set"))
	}
	if len(noMissing) > 0 {
		gp.Skipped = append(gp.Skipped, c.note("add", noMissing, "user not in the target and create_missing_users is off"))
	}
	if len(noEmail) > 0 {
		gp.Skipped = append(gp.Skipped, c.note("add", noEmail, "user not in the target and its email is unknown"))
	}
	return keep
}

// userToCreate is the source's record of a user, or a minimal one built
// from the member listing.
func (c *computer) userToCreate(id string) (model.User, bool) {
	if u, ok := c.d.Users[id]; ok {
		if u.ID == "" {
			u.ID = id
		}
		return u, u.Email != ""
	}
	email := c.listedEmail(id)
	return model.User{ID: id, Email: email}, email != ""
}

// removable applies mode, no_delete and ownership to removals.
func (c *computer) removable(gp *model.GroupPlan, remove []string) []string {
	switch {
	case c.mode == ModeAddOnly:
		gp.Skipped = append(gp.Skipped, c.note("remove", remove, "mode is add-only"))
		return nil
	case c.p.NoDelete:
		gp.Skipped = append(gp.Skipped, c.note("remove", remove, "no_delete is set"))
		return nil
	}
	var keep, unowned []string
	for _, id := range remove {
		if _, ok := c.a.Users[id]; ok {
			keep = append(keep, id)
		} else {
			unowned = append(unowned, id)
		}
	}
	if len(unowned) > 0 {
		gp.Skipped = append(gp.Skipped, c.note("remove", unowned, "user is not owned by groupsync"))
	}
	return keep
}

// diff returns want − have and have − want; both inputs are sorted sets.
func diff(want, have []string) (add, remove []string) {
	if len(have) == 0 {
		return slices.Clone(want), nil
	}
	i, j := 0, 0
	for i < len(want) || j < len(have) {
		switch {
		case j == len(have) || (i < len(want) && want[i] < have[j]):
			add = append(add, want[i])
			i++
		case i == len(want) || have[j] < want[i]:
			remove = append(remove, have[j])
			j++
		default:
			i++
			j++
		}
	}
	return add, remove
}

func sortedSet(ids []string) []string {
	// Snapshots are stored as sorted sets: use them as they are.
	clean := true
	for k, id := range ids {
		if id == "" || (k > 0 && ids[k-1] >= id) {
			clean = false
			break
		}
	}
	if clean {
		return ids
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	// Snapshots are stored sorted: check before sorting.
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
