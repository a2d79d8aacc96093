package engine

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
	"github.com/groupsync/groupsync/internal/store"
)

// computeRule plans a rule from its reads: the one place a run's plan is
// made, for the gate, for `groupsync plan` and for approvals. Complete
// says the reads cover the rule's whole scope (no group filter), which
// alone allows deprovisioning, emptying groups that left the scope and the
// scope-drop hold.
func (e *Engine) computeRule(ctx context.Context, r config.RunRule, reads []model.Membership, force, complete bool) (model.Plan, error) {
	src, _, err := e.connectors(r)
	if err != nil {
		return model.Plan{}, err
	}
	users, err := e.users.get(ctx, r.Source, src)
	if err != nil {
		return model.Plan{}, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	actual, err := e.actual(ctx, r.Name, nil)
	if err != nil {
		return model.Plan{}, err
	}
	return e.planRule(r, users, reads, actual, force, complete)
}

// planRule maps and plans a rule's desired state against its actual one.
func (e *Engine) planRule(r config.RunRule, users map[string]model.User, reads []model.Membership, actual plan.Actual, force, complete bool) (model.Plan, error) {
	users, reads, err := mapRule(r, users, reads, actual)
	if err != nil {
		return model.Plan{}, err
	}
	pol := r.Policy
	pol.Force = force
	d := plan.Desired{Rule: r.Name, Groups: reads, Users: users, Complete: complete}
	p, err := plan.Compute(d, actual, pol)
	if err != nil {
		return model.Plan{}, fmt.Errorf("rule %s: plan: %w", r.Name, err)
	}
	label(&p, d, actual)
	return p, nil
}

// gate sums a rule's staged reads into one plan and decides it with
// plan.Decide: nothing of the rule is applied before this step passes it.
// The decision, its reasons and the job's held list are written in one
// transaction; a redelivered gate resumes from the stored decision.
func (e *Engine) gate(ctx context.Context, q Queue, jobID, rule string) error {
	r, err := e.rule(rule)
	if err != nil {
		return err
	}
	if err := e.fence(ctx, jobID, rule); err != nil {
		return err
	}
	release, err := e.stepLease(ctx, "gate:"+jobID+":"+rule)
	if err != nil {
		return err
	}
	defer release()
	run, err := e.store.RuleRun(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read run: %w", rule, err))
	}
	if run.Gate != "" {
		return e.afterGate(ctx, q, run)
	}
	job, err := e.store.Job(ctx, jobID)
	if err != nil {
		return retry(fmt.Errorf("read job: %w", err))
	}
	reads, err := e.store.Staged(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read staged groups: %w", rule, err))
	}
	if len(reads) < run.Total {
		return nil // an early duplicate: the last read publishes the gate again
	}
	e.releaseReads(ctx, job, r, false)
	// A gate that died between storing its plan and deciding left the
	// plan behind: decide that one, so the decision always matches the
	// plan that later steps carry out.
	stored, ok, err := e.store.Plan(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read plan: %w", rule, err))
	}
	p := stored.Plan
	if !ok {
		e.freshFor(jobID)
		if run.Hinted != nil {
			p, err = e.computeHinted(ctx, r, run, reads, job.Force)
		} else {
			p, err = e.computeRule(ctx, r, reads, job.Force, job.Group == "")
		}
		if err != nil {
			return e.endRule(ctx, jobID, rule, model.GateFailed, err.Error(), true)
		}
	}
	g := plan.Decide(p, job.DryRun || r.DryRun)
	now := e.opts.Now()
	h := model.HeldPlan{JobID: jobID, Rule: rule, Plan: p, Decision: g.Decision, Reasons: g.Reasons, Created: now}
	h.Problems, h.Cycles, h.Nested = readNotes(reads)
	if err := e.store.PutPlan(ctx, h); err != nil {
		return retry(fmt.Errorf("rule %s: store plan: %w", rule, err))
	}
	run, _, err = e.store.UpdateRuleRun(ctx, jobID, rule, func(run *model.RuleRun, j *model.Job) bool {
		return store.MergeGate(run, j, g.Decision, g.Reasons, len(p.Groups), now)
	})
	if err != nil {
		return retry(fmt.Errorf("rule %s: record gate: %w", rule, err))
	}
	// Again, now that this gate is recorded (two gates that ran at once
	// each saw the other still reading), and the users with the plan made.
	e.releaseReads(ctx, job, r, true)
	return e.afterGate(ctx, q, run)
}

// afterGate carries out a decided gate. Passed and approved plans go on
// to the users step. Held and dry-run plans apply nothing: each group gets
// a result that says what would change, and the rule finishes.
func (e *Engine) afterGate(ctx context.Context, q Queue, run model.RuleRun) error {
	switch run.Gate {
	case model.GatePass, model.GateApproved:
		return q.Publish(ctx, Step{Kind: StepUsers, JobID: run.JobID, Rule: run.Rule})
	case model.GateHeld, model.GateDryRun:
	default:
		return nil // busy or failed: the rule has already ended
	}
	h, err := e.gatedPlan(ctx, run.JobID, run.Rule)
	if err != nil {
		return err
	}
	for _, res := range e.planOnly(run.JobID, run.Rule, h.Plan.Groups, run.Gate == model.GateHeld) {
		res.Problems, res.Cycles = h.Problems[res.GroupID], h.Cycles[res.GroupID]
		if err := e.record(ctx, res); err != nil {
			return err
		}
	}
	return q.Publish(ctx, Step{Kind: StepFinish, JobID: run.JobID, Rule: run.Rule})
}

// listingDropper is a source that caches group listings for a run's
// reads (a nested group is listed once for all its parents).
type listingDropper interface {
	DropListings()
}

// releaseReads lets the rule's source drop its cached listings once no
// rule of the job still reads from it: at the gate, the reads are in the
// store, and a large directory's listings are much of what a run holds.
// A rule that has not passed its gate may still read. Once the plan is
// made (planned), the directory's users go too, the engine's and the
// source's: 100,000 users are tens of megabytes that applying never reads.
func (e *Engine) releaseReads(ctx context.Context, job model.Job, r config.RunRule, planned bool) {
	for _, other := range job.Pending {
		if other == r.Name {
			continue
		}
		o, err := e.rule(other)
		if err != nil || o.Source != r.Source {
			continue
		}
		if head, err := e.store.RuleRunHead(ctx, job.ID, other); err != nil || head.Gate == "" {
			return
		}
	}
	src, _, err := e.connectors(r)
	if err != nil {
		return
	}
	if d, ok := src.(listingDropper); ok {
		d.DropListings()
	}
	if !planned {
		return
	}
	e.users.drop(r.Source)
	if d, ok := src.(resetter); ok {
		d.Reset()
	}
}

// readNotes collects the reads' problems and cycles by group ID, and the
// groups they flattened, for the held plan.
func readNotes(reads []model.Membership) (problems map[string][]string, cycles map[string][][]string, nested []string) {
	flat := map[string]bool{}
	for _, m := range reads {
		for _, k := range m.Nested {
			flat[model.NormalizeEmail(k)] = true
		}
		if len(m.Problems) > 0 {
			if problems == nil {
				problems = map[string][]string{}
			}
			problems[m.Group.ID] = m.Problems
		}
		if len(m.Cycles) > 0 {
			if cycles == nil {
				cycles = map[string][][]string{}
			}
			cycles[m.Group.ID] = m.Cycles
		}
	}
	return problems, cycles, sortedSet(flat)
}

// record stores a group's result and reports progress.
func (e *Engine) record(ctx context.Context, res model.GroupResult) error {
	res = e.finishResult(res)
	j, _, err := e.store.RecordGroupResult(ctx, res)
	if err != nil {
		return retry(fmt.Errorf("record result of %s: %w", res.Email, err))
	}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: PhaseApply, JobID: res.JobID, Rule: res.Rule, Group: res.Email, Status: res.Status,
			Done: j.Done, Total: j.Total, Changes: changes(j.Counts), Errors: j.Counts.Errors})
	}
	return nil
}

// stepLease keeps two deliveries of one step from running at once. A busy
// lease is retried, never acknowledged: if its holder died, the lease
// expires and the retry runs the step.
func (e *Engine) stepLease(ctx context.Context, key string) (release func(), err error) {
	holder := e.opts.Holder + "/" + randomID(4)
	ok, err := e.store.AcquireLease(ctx, key, holder, e.opts.LeaseTTL)
	if err != nil {
		return nil, retry(fmt.Errorf("lease %s: %w", key, err))
	}
	if !ok {
		return nil, retry(fmt.Errorf("%s is being run by another worker", key))
	}
	return func() {
		e.store.ReleaseLease(context.WithoutCancel(ctx), key, holder)
	}, nil
}

func changes(c model.Counts) int {
	return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
		c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
}

func userCounts(p model.Plan) model.Counts {
	return model.Counts{
		UsersCreated:  len(p.CreateUsers),
		UsersUpdated:  len(p.UpdateUsers),
		UsersDisabled: len(p.DisableUsers),
		UsersDeleted:  len(p.DeleteUsers),
	}
}
