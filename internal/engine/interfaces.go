// Package engine runs a sync as one algorithm with two runners. A run is a
// chain of idempotent steps over the store: start (job, rule lease, fresh
// listing of the groups in scope) → read each group → one gate per rule
// (the whole rule's plan, every hold decided in internal/plan) → users →
// apply each group → finish (deprovisioning, job status). The CLI carries
// the steps on an in-process queue; the cloud carries them on Pub/Sub.
// Neither runner decides anything. The engine owns the small interfaces it
// consumes: Source, Target, the store roles and Queue.
package engine

import (
	"context"
	"time"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
	"github.com/groupsync/groupsync/internal/target"
)

// Source reads groups, memberships and users from a directory.
type Source interface {
	// ListGroups lists every group the source can see. Scope patterns are
	// applied by the engine. An error fails the run: a partial listing must
	// never look like deleted groups.
	ListGroups(ctx context.Context) ([]model.GroupInfo, error)
	// ReadMembers reads one group's members, flattened per opts. A page
	// that still fails after retries yields Incomplete, not an error;
	// errors are for failures that make the whole group unreadable.
	ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error)
	// ListUsers reads every user in one paged sweep.
	ListUsers(ctx context.Context) ([]model.User, error)
}

// Target writes users and groups to a downstream system. IDs passed in and
// returned are the target's own. Implementations live under
// internal/target/… and pass internal/target/targettest.
type Target interface {
	// CreateUser looks the user up by userName first. When it exists it is
	// adopted if opts.Adopt, else the error wraps target.ErrConflict.
	CreateUser(ctx context.Context, u model.User, opts target.CreateOptions) (target.Created, error)
	// UpdateUser rewrites the user's names, userName and email, and sets
	// active to !u.Suspended.
	UpdateUser(ctx context.Context, id string, u model.User) error
	DisableUser(ctx context.Context, id string) error
	DeleteUser(ctx context.Context, id string) error
	// CreateGroup works like CreateUser, keyed by displayName/externalId.
	CreateGroup(ctx context.Context, g model.GroupInfo, opts target.CreateOptions) (target.Created, error)
	UpdateGroup(ctx context.Context, id string, g model.GroupInfo) error
	// ModifyMembers adds and removes target user IDs, batching as the
	// target allows. Adding a member again or removing a non-member is
	// not an error.
	ModifyMembers(ctx context.Context, groupID string, add, remove []string) error
}

// Checker is implemented by sources and targets that can test their
// connection and credentials for `groupsync check`.
type Checker interface {
	Check(ctx context.Context) error
}

// ErrNotFound is wrapped by Store lookups of jobs and rule runs that do
// not exist.
var ErrNotFound = store.ErrNotFound

// Snapshots keeps what was last applied to each group of a rule.
type Snapshots interface {
	// Snapshot returns the snapshot of one group; ok is false when none.
	Snapshot(ctx context.Context, rule, groupID string) (s model.Snapshot, ok bool, err error)
	// Snapshots returns every snapshot of a rule, sorted by group ID.
	Snapshots(ctx context.Context, rule string) ([]model.Snapshot, error)
	PutSnapshot(ctx context.Context, s model.Snapshot) error
	DeleteSnapshot(ctx context.Context, rule, groupID string) error
}

// Ownership keeps the target objects groupsync created or adopted, and
// per-rule state.
type Ownership interface {
	// Owned returns the ownership record of one object; ok false if none.
	Owned(ctx context.Context, rule, kind, sourceID string) (o model.Owned, ok bool, err error)
	// OwnedAll returns a rule's records of one kind, sorted by source ID.
	OwnedAll(ctx context.Context, rule, kind string) ([]model.Owned, error)
	PutOwned(ctx context.Context, o model.Owned) error
	DeleteOwned(ctx context.Context, rule, kind, sourceID string) error

	RuleState(ctx context.Context, rule string) (s model.RuleState, ok bool, err error)
	PutRuleState(ctx context.Context, s model.RuleState) error
	// ForgetRule drops a rule's snapshots, ownership and state (disconnect).
	ForgetRule(ctx context.Context, rule string) error
}

// Jobs keeps job records and their per-group results.
type Jobs interface {
	// CreateJob stores a new job; the error wraps store.ErrExists when
	// the ID is taken.
	CreateJob(ctx context.Context, j model.Job) error
	// UpdateJob applies fn to the job inside a transaction and returns the
	// result. ErrNotFound when there is no such job.
	UpdateJob(ctx context.Context, id string, fn func(*model.Job) error) (model.Job, error)
	Job(ctx context.Context, id string) (model.Job, error)
	// Jobs lists up to limit jobs, newest first.
	Jobs(ctx context.Context, limit int) ([]model.Job, error)
	// RecordGroupResult stores a group's result and, in the same
	// transaction, merges it into the job (store.MergeResult). A result
	// already stored for (job, rule, group) is left alone and first is
	// false, so redelivered work is counted once.
	RecordGroupResult(ctx context.Context, r model.GroupResult) (j model.Job, first bool, err error)
	// GroupResults lists a job's results sorted by rule then group email.
	GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error)
	// CountResults counts a job's results for one rule.
	CountResults(ctx context.Context, jobID, rule string) (int, error)
}

// Runs keeps the state the run's steps hand each other: each rule's run
// record, the staged reads the gate sums, and the gated plans.
type Runs interface {
	// CreateRuleRun stores r unless a run of (r.JobID, r.Rule) exists; it
	// returns the stored run and whether this call created it.
	CreateRuleRun(ctx context.Context, r model.RuleRun) (model.RuleRun, bool, error)
	// RuleRun returns one rule's run; the error wraps ErrNotFound if none.
	RuleRun(ctx context.Context, jobID, rule string) (model.RuleRun, error)
	// RuleRunHead returns the run's Head (no Scope, Users or Hinted), in
	// time that does not grow with the rule: the read and apply steps
	// call it once per group.
	RuleRunHead(ctx context.Context, jobID, rule string) (model.RuleRun, error)
	// UpdateRuleRun applies fn to a rule's run and its job in one
	// transaction; fn reports whether it changed anything (false writes
	// nothing). It returns both as stored.
	UpdateRuleRun(ctx context.Context, jobID, rule string, fn func(*model.RuleRun, *model.Job) bool) (model.RuleRun, model.Job, error)
	// PutStaged stores a group's read for a job's rule, keeping the first
	// one stored, and returns how many groups of the rule are staged.
	PutStaged(ctx context.Context, jobID, rule string, m model.Membership) (int, error)
	// Staged returns a job's staged reads for one rule, sorted by group ID.
	Staged(ctx context.Context, jobID, rule string) ([]model.Membership, error)
	// DropStaged deletes them once the rule has finished.
	DropStaged(ctx context.Context, jobID, rule string) error
	// PutPlan stores (or replaces) a rule's gated plan for a job.
	PutPlan(ctx context.Context, h model.HeldPlan) error
	// Plan returns a rule's gated plan; ok is false when none.
	Plan(ctx context.Context, jobID, rule string) (h model.HeldPlan, ok bool, err error)
	// Held lists a job's held plans, sorted by rule.
	Held(ctx context.Context, jobID string) ([]model.HeldPlan, error)
}

// Leases lets one worker at a time own a key: a group while it is applied,
// a rule while a job runs it. Grants follow store.Grant.
type Leases interface {
	// AcquireLease takes key for holder until now+ttl. It succeeds when the
	// key is free, expired, or already held by holder (renewal).
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees key if holder holds it.
	ReleaseLease(ctx context.Context, key, holder string) error
	// Lease returns the stored lease of key; ok is false when none.
	Lease(ctx context.Context, key string) (l store.Lease, ok bool, err error)
}

// Store is everything the engine keeps. An unchanged group must cost zero
// store data writes, so the engine only calls Put methods when something
// changed. Implementations: internal/store/bolt, internal/store/firestore;
// both pass internal/store/storetest.
type Store interface {
	Snapshots
	Ownership
	Jobs
	Runs
	Leases
	Close() error
}

// Queue carries a run's steps: in-process for the CLI, Pub/Sub in the
// cloud. Publish must not lose an accepted step; delivery is at least
// once, and every step is idempotent.
type Queue interface {
	Publish(ctx context.Context, steps ...Step) error
}
