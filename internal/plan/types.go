// Package plan computes what a rule's run would change: a pure function from
// desired state (the source), actual state (what groupsync last applied, as
// recorded in the store) and policy to a model.Plan. It implements every
// safety contract in docs/architecture.md; it does no I/O.
package plan

import "github.com/groupsync/groupsync/internal/model"

// Mode says which direction of membership change a rule makes.
type Mode string

// Modes.
const (
	ModeSync       Mode = "sync"
	ModeAddOnly    Mode = "add-only"
	ModeRemoveOnly Mode = "remove-only"
)

// Deprovision is what happens to an owned user who is in no group of the
// rule any more.
type Deprovision string

// Deprovision actions.
const (
	DeprovisionDisable Deprovision = "disable"
	DeprovisionDelete  Deprovision = "delete"
	DeprovisionNone    Deprovision = "none"
)

// Limit is a count or a percentage. The zero Limit means no limit.
type Limit struct {
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"` // 10 means 10%
	// Set distinguishes "0" (no deletions) from no limit at all.
	Set bool `json:"set,omitempty"`
}

// Policy is a rule's resolved safety policy (see config.Policy for the file
// form and defaults).
type Policy struct {
	Mode               Mode
	NoCreate           bool
	NoUpdate           bool
	NoDelete           bool
	Deprovision        Deprovision
	CreateAsDisabled   bool
	CreateMissingUsers bool
	AdoptExisting      bool
	MaxDeletes         Limit // per run
	MaxDeletesPerGroup Limit // per group
	MaxScopeDrop       Limit
	// Force ignores the limits (operator re-ran with --force).
	Force bool
}

// Desired is the source's state for one rule.
type Desired struct {
	Rule string
	// Groups are the memberships of the groups in scope (flattened,
	// filtered by member options).
	Groups []model.Membership
	// Users is the user directory by source ID.
	Users map[string]model.User
	// Complete is true when Groups covers the rule's whole scope (no
	// --group filter). Only then are users deprovisioned, groups that left
	// the scope emptied, and the scope-drop hold checked.
	Complete bool
}

// Actual is what groupsync last applied for one rule.
type Actual struct {
	Snapshots map[string]model.Snapshot // by source group ID
	Groups    map[string]model.Owned    // owned groups by source group ID
	Users     map[string]model.Owned    // owned users by source user ID
	// LastScope is the number of groups in scope at the last complete run.
	LastScope int
}
