package model

import "time"

// Job statuses.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobHeld    = "held"
	JobFailed  = "failed"
	// JobPartial: finished, but some groups failed or were incomplete.
	JobPartial = "partial"
	// JobApproved: a held job whose plans an operator approved and applied
	// (the approve run is a job of its own).
	JobApproved = "approved"
)

// Group result statuses.
const (
	GroupUnchanged  = "unchanged"
	GroupApplied    = "applied"
	GroupPlanned    = "planned" // dry run: changes computed, nothing applied
	GroupHeld       = "held"
	GroupIncomplete = "incomplete" // applied without removals: source read was partial
	GroupFailed     = "failed"
	GroupSkipped    = "skipped" // another worker held the lease
)

// Triggers.
const (
	TriggerCLI      = "cli"
	TriggerSchedule = "schedule"
	TriggerHTTP     = "http"
	TriggerApprove  = "approve"
	// TriggerPoll is the frequent hint poll (Terraform's hint_poll): a
	// rule another job runs is skipped quietly (model.GateSkipped).
	TriggerPoll = "poll"
)

// Counts tallies what a job or group did (or, for dry runs, would do).
type Counts struct {
	Groups        int `json:"groups"`
	Unchanged     int `json:"unchanged"`
	UsersCreated  int `json:"users_created"`
	UsersUpdated  int `json:"users_updated"`
	UsersDisabled int `json:"users_disabled"`
	UsersDeleted  int `json:"users_deleted"`
	GroupsCreated int `json:"groups_created"`
	GroupsUpdated int `json:"groups_updated"`
	MembersAdded  int `json:"members_added"`
	MembersRemove int `json:"members_removed"`
	Held          int `json:"held"`
	Incomplete    int `json:"incomplete"`
	Errors        int `json:"errors"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Groups += o.Groups
	c.Unchanged += o.Unchanged
	c.UsersCreated += o.UsersCreated
	c.UsersUpdated += o.UsersUpdated
	c.UsersDisabled += o.UsersDisabled
	c.UsersDeleted += o.UsersDeleted
	c.GroupsCreated += o.GroupsCreated
	c.GroupsUpdated += o.GroupsUpdated
	c.MembersAdded += o.MembersAdded
	c.MembersRemove += o.MembersRemove
	c.Held += o.Held
	c.Incomplete += o.Incomplete
	c.Errors += o.Errors
}

// Job is one run: its trigger, filters, status and totals.
type Job struct {
	ID      string `json:"id"`
	Trigger string `json:"trigger"`
	// Filters and flags the run was started with.
	Rule   string `json:"rule,omitempty"`
	Group  string `json:"group,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
	Force  bool   `json:"force,omitempty"`
	// Full: the request asked for a full read (`sync --full`) even where
	// change hints would do.
	Full bool `json:"full,omitempty"`
	// ApproveOf is the held job this run approves, if any.
	ApproveOf string `json:"approve_of,omitempty"`

	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitempty"`
	// Total is the number of group tasks; Done how many have a result.
	Total  int      `json:"total"`
	Done   int      `json:"done"`
	Counts Counts   `json:"counts"`
	Errors []string `json:"errors,omitempty"`
	Held   []string `json:"held,omitempty"`
	// Notes tells what an operator should know that is not an error
	// (objects taken over after a crash).
	Notes []string `json:"notes,omitempty"`
	// Pending lists the rules whose finish step has not run yet; the job
	// ends when it is empty.
	Pending []string `json:"pending,omitempty"`
	// Updated is when the job record last changed.
	Updated time.Time `json:"updated,omitempty"`
}

// GroupResult is one group's outcome within a job.
type GroupResult struct {
	JobID    string     `json:"job_id"`
	Rule     string     `json:"rule"`
	GroupID  string     `json:"group_id"`
	Email    string     `json:"email"`
	Status   string     `json:"status"`
	Plan     GroupPlan  `json:"plan"`
	Counts   Counts     `json:"counts"`
	Errors   []string   `json:"errors,omitempty"`
	Problems []string   `json:"problems,omitempty"`
	Cycles   [][]string `json:"cycles,omitempty"`
	Started  time.Time  `json:"started"`
	Finished time.Time  `json:"finished"`
}

// HeldPlan is a rule's plan as its gate decided it: held plans wait for
// approval, passed and approved plans are what the apply steps carry out.
type HeldPlan struct {
	JobID string `json:"job_id"`
	Rule  string `json:"rule"`
	Plan  Plan   `json:"plan"`
	// Decision is the gate's (Gate* constants); empty means held, the
	// only kind stored before gates existed.
	Decision string    `json:"decision,omitempty"`
	Reasons  []string  `json:"reasons"`
	Created  time.Time `json:"created"`
	// Problems and Cycles are the reads' problems and membership cycles
	// by group ID, for the groups' results: the steps after the gate need
	// them but not the reads.
	Problems map[string][]string   `json:"problems,omitempty"`
	Cycles   map[string][][]string `json:"cycles,omitempty"`
	// Nested lists, normalized and sorted once, the groups the reads
	// flattened (model.Membership.Nested), for the rule's state.
	Nested []string `json:"nested,omitempty"`
}

// IsHeld reports whether the plan waits for an operator.
func (h HeldPlan) IsHeld() bool { return h.Decision == "" || h.Decision == GateHeld }
