package model

// Interner hands out one copy of each distinct string. A decoded plan or
// staged read holds a user's ID (and email) once per group it is in: a
// million memberships of a hundred thousand users are ten copies of each.
// The zero Interner is ready to use; keep one across the pieces of one
// plan.
type Interner struct {
	m map[string]string
}

// Intern returns the copy of s the Interner keeps.
func (in *Interner) Intern(s string) string {
	if in.m == nil {
		in.m = map[string]string{}
	}
	if c, ok := in.m[s]; ok {
		return c
	}
	in.m[s] = s
	return s
}

// GroupPlans interns the member IDs and labels of group plans in place.
func (in *Interner) GroupPlans(groups []GroupPlan) {
	for i := range groups {
		g := &groups[i]
		for k, id := range g.Add {
			g.Add[k] = in.Intern(id)
		}
		for k, id := range g.Remove {
			g.Remove[k] = in.Intern(id)
		}
		if len(g.Labels) == 0 {
			continue
		}
		labels := make(map[string]string, len(g.Labels))
		for id, l := range g.Labels {
			labels[in.Intern(id)] = in.Intern(l)
		}
		g.Labels = labels
	}
}

// Members interns the member IDs and emails of staged reads in place.
func (in *Interner) Members(reads []Membership) {
	for i := range reads {
		for k := range reads[i].Members {
			m := &reads[i].Members[k]
			m.ID, m.Email = in.Intern(m.ID), in.Intern(m.Email)
		}
	}
}
