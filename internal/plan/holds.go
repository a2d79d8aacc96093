package plan

import (
	"fmt"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
)

// limits holds the plan and its groups where deletions or the scope drop
// go over the policy's limits.
func (c *computer) limits(plan *model.Plan) {
	if c.d.Complete && c.a.LastScope > 0 {
		drop := c.a.LastScope - len(c.d.Groups)
		if drop > 0 && c.p.MaxScopeDrop.Exceeded(drop, c.a.LastScope) {
			plan.Held = append(plan.Held, fmt.Sprintf("scope: groups in scope fell from %d to %d (%d fewer), over max_scope_drop %s (allowed %d)",
				c.a.LastScope, len(c.d.Groups), drop, describe(c.p.MaxScopeDrop, c.a.LastScope), c.p.MaxScopeDrop.Allowed(c.a.LastScope)))
		}
	}

	base := 0
	for _, s := range c.a.Snapshots {
		base += len(sortedSet(s.MemberIDs))
	}
	for _, o := range c.a.Users {
		if o.Active {
			base++
		}
	}
	if n := plan.Deletes(); c.p.MaxDeletes.Exceeded(n, base) {
		plan.Held = append(plan.Held, fmt.Sprintf("run: %s %s max_deletes %s (allowed %d)",
			count(n, "deletion"), exceed(n), describe(c.p.MaxDeletes, base), c.p.MaxDeletes.Allowed(base)))
	}

	var held []string
	for i := range plan.Groups {
		gp := &plan.Groups[i]
		n, base := len(gp.Remove), c.applied[gp.GroupID]
		if !c.p.MaxDeletesPerGroup.Exceeded(n, base) {
			continue
		}
		gp.Held = append(gp.Held, fmt.Sprintf("group %s: %s %s max_deletes_per_group %s (allowed %d)",
			gp.Email, count(n, "removal"), exceed(n), describe(c.p.MaxDeletesPerGroup, base), c.p.MaxDeletesPerGroup.Allowed(base)))
		held = append(held, gp.Email)
	}
	if len(held) > 0 {
		plan.Held = append(plan.Held, fmt.Sprintf("%s over max_deletes_per_group: %s", count(len(held), "group"), strings.Join(held, ", ")))
	}
}

// describe shows a limit with the base a percentage applies to.
func describe(l Limit, base int) string {
	if l.Set && l.Percent > 0 {
		return fmt.Sprintf("%s of %d", l, base)
	}
	return l.String()
}

// count says "1 group", "2 groups".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func exceed(n int) string {
	if n == 1 {
		return "exceeds"
	}
	return "exceed"
}
