package model

// Plan is what one rule's run would change in its target. It is computed by
// internal/plan, stored with the job, and applied by the engine.
type Plan struct {
	Rule   string      `json:"rule"`
	Groups []GroupPlan `json:"groups"`
	// User lifecycle changes for the rule as a whole.
	CreateUsers  []User       `json:"create_users,omitempty"`
	UpdateUsers  []UserUpdate `json:"update_users,omitempty"`
	DisableUsers []UserRef    `json:"disable_users,omitempty"`
	DeleteUsers  []UserRef    `json:"delete_users,omitempty"`
	// Held lists why the plan must wait for an operator. A plan with any
	// reason here applies nothing until approved or forced.
	Held []string `json:"held,omitempty"`
	// Skipped lists changes that policy suppressed (no_create, mode, …), so
	// the report can say what was not done and why.
	Skipped []string `json:"skipped,omitempty"`
	// SourceHash identifies the desired state the plan was computed from;
	// approve refuses when the source no longer hashes the same.
	SourceHash string `json:"source_hash,omitempty"`
}

// GroupPlan is the change for one group.
type GroupPlan struct {
	GroupID string `json:"group_id"`
	Email   string `json:"email"`
	Name    string `json:"name,omitempty"`
	// DisplayName is the mapped displayName (model.GroupInfo.DisplayName).
	DisplayName string `json:"display_name,omitempty"`
	// TargetID is the target's group ID, empty when the group is to be
	// created.
	TargetID    string `json:"target_id,omitempty"`
	CreateGroup bool   `json:"create_group,omitempty"`
	UpdateGroup bool   `json:"update_group,omitempty"`
	// Add and Remove are source user IDs.
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
	// Incomplete: the source read was partial, so Remove is empty by rule.
	Incomplete bool `json:"incomplete,omitempty"`
	// LeftScope: the group is no longer in the rule's scope (from a fresh
	// listing), so it is emptied and its snapshot dropped.
	LeftScope bool     `json:"left_scope,omitempty"`
	Held      []string `json:"held,omitempty"`
	Skipped   []string `json:"skipped,omitempty"`
	// Hash is the desired content hash the plan brings the group to.
	Hash string `json:"hash,omitempty"`
	// Labels maps the user IDs in Add and Remove to emails, for reports.
	Labels map[string]string `json:"labels,omitempty"`
}

// Label returns a readable name for a user ID in the plan.
func (g GroupPlan) Label(id string) string {
	if l, ok := g.Labels[id]; ok && l != "" {
		return l
	}
	return id
}

// Empty reports whether the group plan changes nothing.
func (g GroupPlan) Empty() bool {
	return !g.CreateGroup && !g.UpdateGroup && len(g.Add) == 0 && len(g.Remove) == 0
}

// UserUpdate changes a target user's attributes (rename, name change,
// re-enable).
type UserUpdate struct {
	TargetID string `json:"target_id"`
	User     User   `json:"user"`
	// Was is the email last written, for the report.
	Was string `json:"was,omitempty"`
}

// UserRef names a target user by source and target ID.
type UserRef struct {
	SourceID string `json:"source_id"`
	TargetID string `json:"target_id"`
	Email    string `json:"email,omitempty"`
}

// Changes counts every change in the plan.
func (p Plan) Changes() int {
	n := len(p.CreateUsers) + len(p.UpdateUsers) + len(p.DisableUsers) + len(p.DeleteUsers)
	for _, g := range p.Groups {
		n += len(g.Add) + len(g.Remove)
		if g.CreateGroup {
			n++
		}
		if g.UpdateGroup {
			n++
		}
	}
	return n
}

// Deletes counts the destructive changes: member removals, user disables
// and user deletes. This is what max_deletes limits.
func (p Plan) Deletes() int {
	n := len(p.DisableUsers) + len(p.DeleteUsers)
	for _, g := range p.Groups {
		n += len(g.Remove)
	}
	return n
}

// IsHeld reports whether the plan or any of its groups is held.
func (p Plan) IsHeld() bool {
	if len(p.Held) > 0 {
		return true
	}
	for _, g := range p.Groups {
		if len(g.Held) > 0 {
			return true
		}
	}
	return false
}
