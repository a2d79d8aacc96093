// Package engine orchestrates a sync: dispatch (list groups in scope), per
// group sync (read, snapshot, plan, apply, record) in a bounded worker pool,
// and finish (job summary, user deprovisioning, held plans). It owns the
// small interfaces it consumes: Source, Target and Store.
package engine

import (
	"context"
	"errors"
	"time"

	"github.com/groupsync/groupsync/internal/model"
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

// ErrNotFound is returned by Store lookups of jobs that do not exist.
var ErrNotFound = errors.New("not found")

// Store keeps snapshots, ownership, jobs, held plans and leases. An
// unchanged group must cost zero store writes, so the engine only calls Put
// methods when something changed. Implementations: internal/store/bolt,
// internal/store/firestore; both pass internal/store/storetest.
type Store interface {
	// Snapshot returns the snapshot of one group; ok is false when none.
	Snapshot(ctx context.Context, rule, groupID string) (s model.Snapshot, ok bool, err error)
	// Snapshots returns every snapshot of a rule, sorted by group ID.
	Snapshots(ctx context.Context, rule string) ([]model.Snapshot, error)
	PutSnapshot(ctx context.Context, s model.Snapshot) error
	DeleteSnapshot(ctx context.Context, rule, groupID string) error

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

	CreateJob(ctx context.Context, j model.Job) error
	// UpdateJob applies fn to the job inside a transaction and returns the
	// result. ErrNotFound when there is no such job.
	UpdateJob(ctx context.Context, id string, fn func(*model.Job) error) (model.Job, error)
	Job(ctx context.Context, id string) (model.Job, error)
	// Jobs lists up to limit jobs, newest first.
	Jobs(ctx context.Context, limit int) ([]model.Job, error)
	// RecordGroupResult stores a group's result and, in the same
	// transaction, adds its counts to the job and increments Done. A result
	// already stored for (job, rule, group) is left alone and first is
	// false, so redelivered work is counted once.
	RecordGroupResult(ctx context.Context, r model.GroupResult) (j model.Job, first bool, err error)
	// GroupResults lists a job's results sorted by rule then group email.
	GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error)

	PutHeld(ctx context.Context, h model.HeldPlan) error
	// Held lists a job's held plans, sorted by rule.
	Held(ctx context.Context, jobID string) ([]model.HeldPlan, error)
	DeleteHeld(ctx context.Context, jobID, rule string) error

	// AcquireLease takes key for holder until now+ttl. It succeeds when the
	// key is free, expired, or already held by holder (renewal).
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees key if holder holds it.
	ReleaseLease(ctx context.Context, key, holder string) error

	Close() error
}
