package model

import "time"

// Gate decisions: what a rule's gate decided for one job. The empty
// decision means the gate has not run yet.
const (
	GateHeld     = "held"     // over a limit: nothing of the rule is applied
	GateDryRun   = "dry_run"  // the request or the rule's config says dry run
	GatePass     = "pass"     // apply the plan
	GateApproved = "approved" // an operator approved a held plan
	GateBusy     = "busy"     // another job holds the rule: this job skips it
	GateFailed   = "failed"   // the rule could not be planned (listing failed)
	// GateSkipped: a hint poll found another job running the rule; the
	// poll has nothing to add, so it is a note, not an error.
	GateSkipped = "skipped"
)

// RuleRun is one rule's progress within one job: the groups the fresh
// listing put in scope, the gate's decision and whether the rule's finish
// step ran. The engine's steps read it instead of remembering anything.
type RuleRun struct {
	JobID string `json:"job_id"`
	Rule  string `json:"rule"`
	// Scope is the fresh listing of the groups in scope, taken once per
	// job. Total is len(Scope): the gate opens when that many groups have
	// a staged read.
	Scope []GroupInfo `json:"scope,omitempty"`
	Total int         `json:"total"`
	// Scoped is set once the listing is stored (a rule with no groups in
	// scope is scoped too).
	Scoped bool `json:"scoped,omitempty"`
	// Gate is the decision (Gate* constants); Reasons says why a rule is
	// held, busy or failed.
	Gate    string   `json:"gate,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Groups is the number of group plans the gate passed to apply; the
	// rule's finish step runs once that many results are recorded.
	Groups int `json:"groups"`
	// UsersDone is set once the users step has recorded its counts.
	UsersDone bool `json:"users_done,omitempty"`
	// Unsettled is set before a group's failed or incomplete result is
	// recorded: the rule's finish then keeps its scope and hint watermark
	// where they were, without reading every result.
	Unsettled bool `json:"unsettled,omitempty"`
	// Users is the audit record of the rule's user changes: those the
	// users and finish steps made, or for a held or dry-run rule those
	// approval would make.
	Users []UserChange `json:"users,omitempty"`
	// Hinted is set on a hinted run: only its Read groups are read, and
	// the gate plans the rest of Scope from their snapshots.
	Hinted   *HintedRun `json:"hinted,omitempty"`
	Finished bool       `json:"finished,omitempty"`
	Created  time.Time  `json:"created"`
}

// Head is the run without its lists (Scope, Users, Hinted): what the
// per-group steps need. Stores keep it beside the run so that a step per
// group reads it in time that does not grow with the rule.
func (r RuleRun) Head() RuleRun {
	r.Scope, r.Users, r.Hinted = nil, nil, nil
	return r
}

// HintedRun is what a hinted run decided at its start.
type HintedRun struct {
	// Read are the IDs of the groups of Scope the run reads: those the
	// hints name, new to the scope, renamed, or left unsettled by the
	// last apply. Total is len(Read).
	Read []string `json:"read,omitempty"`
	// Users are the hints' user keys (emails or IDs).
	Users []string `json:"users,omitempty"`
	// Until is the end of the hint window: the rule's watermark once the
	// run finishes clean.
	Until time.Time `json:"until"`
}

// ChangeEvent is the body of a groupsync-changes message: the membership
// changes one group received in one job, or (with no group) the users a
// rule's finish step disabled or deleted. User IDs are the source's
// immutable IDs.
type ChangeEvent struct {
	JobID         string   `json:"job_id"`
	Rule          string   `json:"rule"`
	GroupID       string   `json:"group_id,omitempty"`
	GroupEmail    string   `json:"group_email,omitempty"`
	Status        string   `json:"status"`
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
	UsersDisabled []string `json:"users_disabled,omitempty"`
	UsersDeleted  []string `json:"users_deleted,omitempty"`
	// Users names the rule's user changes (finish events).
	Users []UserChange `json:"users,omitempty"`
	// Truncated says the lists above were too long for one message and
	// were left out: the job record (`groupsync jobs show JOB`) has them.
	Truncated bool      `json:"truncated,omitempty"`
	Time      time.Time `json:"time"`
}

// User change actions in the audit record.
const (
	UserCreated  = "created"
	UserUpdated  = "updated"
	UserDisabled = "disabled"
	UserDeleted  = "deleted"
)

// UserChange is one user change of a rule's run, for the audit record: a
// passed rule records what it did, a held or dry-run rule what approval
// would do. Users are named by source ID and email.
type UserChange struct {
	Action   string `json:"action"`
	SourceID string `json:"source_id"`
	Email    string `json:"email"`
	// Was is the email before an update, so a rename names both.
	Was string `json:"was,omitempty"`
	// Planned: not applied (held or dry run).
	Planned bool `json:"planned,omitempty"`
}

// PlannedUserChanges lists the user changes a plan would make.
func PlannedUserChanges(p Plan) []UserChange {
	var out []UserChange
	for _, u := range p.CreateUsers {
		out = append(out, UserChange{Action: UserCreated, SourceID: u.ID, Email: u.Email, Planned: true})
	}
	for _, up := range p.UpdateUsers {
		out = append(out, UserChange{Action: UserUpdated, SourceID: up.User.ID, Email: up.User.Email, Was: up.Was, Planned: true})
	}
	for _, r := range p.DisableUsers {
		out = append(out, UserChange{Action: UserDisabled, SourceID: r.SourceID, Email: r.Email, Planned: true})
	}
	for _, r := range p.DeleteUsers {
		out = append(out, UserChange{Action: UserDeleted, SourceID: r.SourceID, Email: r.Email, Planned: true})
	}
	return out
}
