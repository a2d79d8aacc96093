package plan

import (
	"github.com/groupsync/groupsync/internal/model"
)

// users plans the rule-wide user lifecycle: creations collected from the
// groups' adds, deprovisioning and attribute updates.
func (c *computer) users(plan *model.Plan) {
	for _, id := range sortedKeys(c.create) {
		plan.CreateUsers = append(plan.CreateUsers, c.create[id])
	}
	gone := c.deprovisionUsers(plan)

	var suppressed []string
	for _, id := range sortedKeys(c.a.Users) {
		o := c.a.Users[id]
		u, ok := c.d.Users[id]
		if !ok {
			continue
		}
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
		if c.currentHash(id, u) == o.Hash && !reenable {
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
	for _, id := range sortedKeys(c.a.Users) {
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
