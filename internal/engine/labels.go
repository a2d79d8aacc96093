package engine

import (
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// label names the users of each group plan by email, so plans and job
// reports read as people rather than IDs. The directory wins over the last
// email written, which wins over the member listing.
func label(p *model.Plan, d plan.Desired, a plan.Actual) {
	// Only members the directory lacks still carry their email (the read
	// step drops the others').
	fromMembers := map[string]string{}
	for _, m := range d.Groups {
		for _, mem := range m.Members {
			if mem.Email != "" {
				fromMembers[mem.ID] = mem.Email
			}
		}
	}
	name := func(id string) string {
		if u, ok := d.Users[id]; ok && u.Email != "" {
			return u.Email
		}
		if o, ok := a.Users[id]; ok && o.Email != "" {
			return o.Email
		}
		return fromMembers[id]
	}
	for i := range p.Groups {
		g := &p.Groups[i]
		if len(g.Add)+len(g.Remove) == 0 {
			continue
		}
		g.Labels = make(map[string]string, len(g.Add)+len(g.Remove))
		for _, id := range g.Add {
			g.Labels[id] = name(id)
		}
		for _, id := range g.Remove {
			g.Labels[id] = name(id)
		}
	}
}
