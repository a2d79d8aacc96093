package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/groupsync/groupsync/internal/model"
)

// Step kinds, in the order a run takes them.
const (
	StepStart  = "start"  // job, rule lease, fresh listing → one read per group
	StepRead   = "read"   // read one group; the last read publishes the gate
	StepGate   = "gate"   // plan the whole rule and decide it (internal/plan)
	StepUsers  = "users"  // create and update the rule's users
	StepApply  = "apply"  // apply one group; the last one publishes finish
	StepFinish = "finish" // deprovision, count, end the rule and the job
)

// Step is one unit of a run: the body of a queue message. Each step takes
// its input from the store and the message, never from an earlier step's
// memory, so any worker can run it and running it twice is harmless.
type Step struct {
	Kind  string `json:"step"`
	JobID string `json:"job_id"`
	Rule  string `json:"rule,omitempty"`
	// Request is the start step's run request.
	Request *Request `json:"request,omitempty"`
	// Group is the read step's group.
	Group *model.GroupInfo `json:"group,omitempty"`
	// Apply is the apply step's group plan.
	Apply *GroupApply `json:"apply,omitempty"`
}

// PerGroup reports whether the step is about one group (the cloud carries
// these on groupsync-groups) rather than a rule or a job.
func (s Step) PerGroup() bool { return s.Kind == StepRead || s.Kind == StepApply }

// GroupApply is one group's share of a passed gate.
type GroupApply struct {
	Plan model.GroupPlan `json:"plan"`
	// Targets are the target IDs of Plan.Add then Plan.Remove, in order,
	// as the users step left them, "" where a user has none (Missing
	// says why). A local run queues every group's step at once: a slice
	// costs a third of a map.
	Targets []string          `json:"targets,omitempty"`
	Missing map[string]string `json:"missing,omitempty"`
	// Users is the map form of Targets that steps published before it
	// carry.
	Users map[string]string `json:"users,omitempty"`
	// Problems and Cycles come from the group's read, for its result.
	Problems []string   `json:"problems,omitempty"`
	Cycles   [][]string `json:"cycles,omitempty"`
	// GroupCreates is how many groups the rule's plan creates, so that a
	// target can choose how to look them up (ExpectCreates).
	GroupCreates int `json:"group_creates,omitempty"`
}

// Request starts a run. A request can make a run safer than the config
// (dry run), never less safe: Force only lifts the deletion limits, as the
// CLI's documented --force does.
type Request struct {
	Trigger string `json:"trigger,omitempty"`
	Rule    string `json:"rule,omitempty"`  // only this rule
	Group   string `json:"group,omitempty"` // only this group; no deprovisioning
	DryRun  bool   `json:"dry_run,omitempty"`
	Force   bool   `json:"force,omitempty"`
	// Full reads everything even where change hints would do.
	Full bool `json:"full,omitempty"`
	// JobID, when set, is used instead of a new ID (the HTTP API returns
	// the ID before the run starts; a scheduled run's derives from its
	// message).
	JobID string `json:"job_id,omitempty"`
}

// ErrRetry marks errors that a retry can fix (a busy lease, a store or
// source hiccup). Runners redeliver these; every other error is final.
var ErrRetry = errors.New("retry later")

// ErrSuperseded: the step's job no longer owns its rule (it ended, or it
// was taken for stuck and a newer run took over), so it must not write.
var ErrSuperseded = errors.New("the job no longer runs this rule")

// Handle runs one step, publishing what follows it on the engine's queue
// (Options.Queue). It is the cloud runner's entry point.
func (e *Engine) Handle(ctx context.Context, s Step) error {
	if e.opts.Queue == nil {
		return errors.New("engine: no queue configured")
	}
	return e.handle(ctx, e.opts.Queue, s)
}

func (e *Engine) handle(ctx context.Context, q Queue, s Step) error {
	if s.JobID == "" {
		return fmt.Errorf("%s step without a job ID", s.Kind)
	}
	switch s.Kind {
	case StepStart:
		if s.Request == nil {
			return errors.New("start step without a request")
		}
		return e.start(ctx, q, s.JobID, *s.Request)
	case StepRead:
		if s.Group == nil || s.Rule == "" {
			return errors.New("read step without a rule and group")
		}
		return e.read(ctx, q, s.JobID, s.Rule, *s.Group)
	case StepGate:
		return e.gate(ctx, q, s.JobID, s.Rule)
	case StepUsers:
		return e.usersStep(ctx, q, s.JobID, s.Rule)
	case StepApply:
		if s.Apply == nil || s.Rule == "" {
			return errors.New("apply step without a rule and group plan")
		}
		return e.apply(ctx, q, s.JobID, s.Rule, *s.Apply)
	case StepFinish:
		return e.finish(ctx, s.JobID, s.Rule)
	}
	return fmt.Errorf("unknown step %q", s.Kind)
}

// retry marks err as one a redelivery can fix.
func retry(err error) error { return fmt.Errorf("%w: %w", err, ErrRetry) }
