package plan

import (
	"slices"

	"github.com/groupsync/groupsync/internal/model"
)

// users plans the rule-wide user lifecycle: creations collected from the
// groups' adds, deprovisioning and attribute updates.
func (c *computer) users(plan *model.Plan) {
	slices.Sort(c.createIDs)
	if len(c.createIDs) > 0 {
		plan.CreateUsers = make([]model.User, 0, len(c.createIDs))
	}
	for _, id := range c.createIDs {
		u, _ := c.userToCreate(id)
		plan.CreateUsers = append(plan.CreateUsers, u)
	}
	gone := c.deprovisionUsers(plan)

	var suppressed []string
	for _, id := range c.owned() {
		o := c.a.Users[id]
		u, ok := c.d.Users[id]
		if !ok {
			continue
		}
		memo := u.ID == id // the memoised hash is of this very record
		if u.ID == "" {
			u.ID = id
		}
		member := c.desired(id)
		// A non-member is looked at only in a complete run, and never
		// when it is being deprovisioned or is already disabled: updating
		// it would set it active again.
		if !member && (!c.d.Complete || gone[id] || !o.Active) {
			continue
		}
		// A member left inactive (deprovisioned earlier) is re-enabled,
		// unless the rule creates users disabled on purpose or only takes
		// access away.
		reenable := member && !o.Active && !u.Suspended && !c.p.CreateAsDisabled && c.mode != ModeRemoveOnly
		if c.hashIs(id, u, memo, o.Hash) && !reenable {
			continue
		}
		if c.p.NoUpdate {
			suppressed = append(suppressed, id)
			continue
		}
		plan.UpdateUsers = append(plan.UpdateUsers, model.UserUpdate{TargetID: o.TargetID, User: u, Was: o.Email})
	}
	if len(suppressed) > 0 {
		plan.Skipped = append(plan.Skipped, c.note("update", suppressed, "no_update is set"))
	}
}

// deprovisionUsers disables or deletes owned users who are members of no
// desired group, in complete runs only. It returns the users it acted on.
func (c *computer) deprovisionUsers(plan *model.Plan) map[string]bool {
	if !c.d.Complete || c.deprovision == DeprovisionNone {
		return nil
	}
	var gone []string
	for _, id := range c.owned() {
		if c.desired(id) {
			continue
		}
		if c.deprovision == DeprovisionDisable && !c.a.Users[id].Active {
			continue
		}
		gone = append(gone, id)
	}
	if len(gone) == 0 {
		return nil
	}
	why := "member of no group in scope, but "
	switch {
	case c.incomplete:
		plan.Skipped = append(plan.Skipped, c.note(string(c.deprovision), gone, why+"a group's membership read was incomplete (fail closed)"))
		return nil
	case c.mode == ModeAddOnly:
		plan.Skipped = append(plan.Skipped, c.note(string(c.deprovision), gone, why+"mode is add-only"))
		return nil
	case c.p.NoDelete:
		plan.Skipped = append(plan.Skipped, c.note(string(c.deprovision), gone, why+"no_delete is set"))
		return nil
	}
	acted := make(map[string]bool, len(gone))
	for _, id := range gone {
		o := c.a.Users[id]
		ref := model.UserRef{SourceID: id, TargetID: o.TargetID, Email: o.Email}
		if c.deprovision == DeprovisionDelete {
			plan.DeleteUsers = append(plan.DeleteUsers, ref)
		} else {
			plan.DisableUsers = append(plan.DisableUsers, ref)
		}
		acted[id] = true
	}
	return acted
}
