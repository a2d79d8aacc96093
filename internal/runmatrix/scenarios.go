package runmatrix

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// Observed is what a scenario saw, compared across runners.
type Observed struct {
	Statuses []string
	Counts   []model.Counts
	Target   Target
}

func (o *Observed) job(j model.Job) {
	o.Statuses = append(o.Statuses, j.Status)
	c := j.Counts
	c.Errors = 0 // error texts and counts of busy runs differ by timing, not by runner
	o.Counts = append(o.Counts, c)
}

// Scenario is one case of the matrix.
type Scenario struct {
	Name string
	Run  func(t *testing.T, env *Env, r Runner, store string) Observed
}

// Scenarios is the matrix.
var Scenarios = []Scenario{
	{"DryRunRuleWritesNothing", dryRunRuleWritesNothing},
	{"RunLimitHoldsBeforeApplying", runLimitHoldsBeforeApplying},
	{"OlderJobNeverAppliesAfterNewer", olderJobNeverApplies},
	{"StuckJobIsFailedAndLosesTheRule", stuckJobIsReaped},
	{"RedeliveredTriggerResumesItsJob", redeliveredTrigger},
	{"OverlappingScheduledRuns", overlappingRuns},
}

const liveRule = `
groups: {include: ["team*@example.com"]}
policy: {max_deletes: "100%"}
`

func mustStatus(t *testing.T, what string, j model.Job, want string) {
	t.Helper()
	if j.Status != want {
		t.Fatalf("%s: job %s is %s (errors %v, held %v), want %s", what, j.ID, j.Status, j.Errors, j.Held, want)
	}
}

// Reproduction 1: a rule whose config says dry_run writes nothing in any
// step, even when a group leaves the scope.
func dryRunRuleWritesNothing(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	j := r.Sync(t, env.Config(store, liveRule), engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "first sync", j, model.JobDone)
	o.job(j)
	before, writes := env.TargetState(), env.Writes()
	dry := env.Config(store, `
groups: {include: ["team*@example.com"], exclude: ["team5@example.com"]}
policy: {dry_run: true, max_deletes: "100%"}
`)
	j = r.Sync(t, dry, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "dry-run sync", j, model.JobDone)
	o.job(j)
	if got := env.Writes() - writes; got != 0 {
		t.Errorf("a dry_run rule made %d target writes, want 0", got)
	}
	if j.Counts.MembersRemove != 10 || j.Counts.UsersDisabled != 10 {
		t.Errorf("dry run counts: %d removals, %d disables; want the 10 and 10 it would make", j.Counts.MembersRemove, j.Counts.UsersDisabled)
	}
	o.Target = env.TargetState()
	if o.Target.Memberships() != before.Memberships() || len(o.Target.Active) != len(before.Active) {
		t.Errorf("target changed under a dry run: %d memberships, %d active; want %d, %d",
			o.Target.Memberships(), len(o.Target.Active), before.Memberships(), len(before.Active))
	}
	return o
}

// Reproduction 2: the per-run max_deletes is decided before anything is
// applied; an approval applies exactly the reviewed plan and is refused
// once the source changed.
func runLimitHoldsBeforeApplying(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	cfg := env.Config(store, `
groups: {include: ["team*@example.com"]}
policy: {max_deletes: "3", max_deletes_per_group: "100%"}
`)
	j := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "first sync", j, model.JobDone)
	o.job(j)
	for g := 1; g <= 5; g++ {
		for i := range 3 {
			if err := env.Dir.RemoveMember(groupID(g), userID(g, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	writes := env.Writes()
	held := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "sync over the limit", held, model.JobHeld)
	o.job(held)
	if got := env.TargetState().Memberships(); got != 50 {
		t.Errorf("memberships after a held run: %d, want 50 (nothing applied)", got)
	}
	if got := env.Writes() - writes; got != 0 {
		t.Errorf("a held run made %d target writes, want 0", got)
	}
	// The source moves on: the reviewed plan no longer holds.
	if err := env.Dir.AddMember(groupID(1), memberOf(userID(1, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Approve(t, cfg, held.ID); !errors.Is(err, engine.ErrSourceChanged) && (err == nil || !strings.Contains(err.Error(), engine.ErrSourceChanged.Error())) {
		t.Fatalf("approve after a source change: err = %v, want ErrSourceChanged", err)
	}
	if got := env.TargetState().Memberships(); got != 50 {
		t.Errorf("memberships after a refused approval: %d, want 50", got)
	}
	held = r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "second sync over the limit", held, model.JobHeld)
	o.job(held)
	ap, err := r.Approve(t, cfg, held.ID)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	mustStatus(t, "approval", ap, model.JobDone)
	o.job(ap)
	o.Target = env.TargetState()
	if got := o.Target.Memberships(); got != 36 {
		t.Errorf("memberships after approval: %d, want 36 (the 14 reviewed removals applied)", got)
	}
	if ap.Counts.MembersRemove != 14 || ap.Counts.UsersDisabled != 14 {
		t.Errorf("approval counts: %d removed, %d disabled; want 14 and 14", ap.Counts.MembersRemove, ap.Counts.UsersDisabled)
	}
	return o
}

// startPaused runs a first sync on r, then starts job id on a side engine
// over r's store whose later steps wait in the returned queue: a job that
// has listed its scope and stalled. ruleLease is the side engine's rule
// lease (0: the default).
func startPaused(t *testing.T, o *Observed, r Runner, cfg, id string, ruleLease time.Duration, req engine.Request) (*engine.Engine, *Held) {
	t.Helper()
	j := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "first sync", j, model.JobDone)
	o.job(j)
	q := &Held{}
	a := SideEngine(t, cfg, r.Store(t, cfg), q, ruleLease)
	if err := a.Handle(context.Background(), engine.Step{Kind: engine.StepStart, JobID: id, Request: &req}); err != nil {
		t.Fatalf("start job %s: %v", id, err)
	}
	return a, q
}

// Reproduction 3: job A has listed its scope when job B starts. B must not
// run the rule while A does, and A, finishing later, applies only its own
// fresh plan.
func olderJobNeverApplies(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	cfg := env.Config(store, liveRule)
	// A reads in full: a hinted start reads the audit log before the
	// change below and would leave it to the next poll (job C).
	ctx := context.Background()
	a, q := startPaused(t, &o, r, cfg, "job-a", 0, engine.Request{Trigger: model.TriggerSchedule, Full: true})
	if err := env.Dir.AddMember(groupID(1), memberOf(userID(2, 0))); err != nil {
		t.Fatal(err)
	}
	writes := env.Writes()
	b := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "job B while A runs", b, model.JobFailed)
	if len(b.Errors) == 0 || !strings.Contains(b.Errors[0], "job-a is running it") {
		t.Errorf("job B errors %v, want one saying job-a runs the rule", b.Errors)
	}
	if got := env.Writes() - writes; got != 0 {
		t.Errorf("job B made %d target writes while A held the rule, want 0", got)
	}
	// A hint poll meanwhile skips the rule with a note, not an error.
	p := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerPoll})
	mustStatus(t, "hint poll while A runs", p, model.JobDone)
	if len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "job-a is running it; this poll skipped the rule") {
		t.Errorf("hint poll notes %v, want one saying job-a runs the rule", p.Notes)
	}
	if errs := q.Drain(ctx, a); len(errs) > 0 {
		t.Fatalf("job A steps: %v", errs)
	}
	ja, err := r.Store(t, cfg).Job(ctx, "job-a")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "job A", ja, model.JobDone)
	o.job(ja)
	if ja.Counts.MembersAdded != 1 || ja.Counts.MembersRemove != 0 {
		t.Errorf("job A: %d added, %d removed; want 1 and 0", ja.Counts.MembersAdded, ja.Counts.MembersRemove)
	}
	c := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "job C after A", c, model.JobDone)
	o.job(c)
	o.Target = env.TargetState()
	if got := o.Target.Memberships(); got != 51 {
		t.Errorf("memberships: %d, want 51", got)
	}
	return o
}

// A job that stops making progress loses its rule: the next run takes it
// over and marks the old one failed, and the old one's remaining steps
// never write.
func stuckJobIsReaped(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	cfg := env.Config(store, liveRule)
	// Job A's lease lasts a millisecond: it is stuck as soon as it stops.
	ctx := context.Background()
	a, q := startPaused(t, &o, r, cfg, "job-stuck", time.Millisecond, engine.Request{Trigger: model.TriggerSchedule})
	time.Sleep(5 * time.Millisecond)
	for i := range 5 {
		if err := env.Dir.RemoveMember(groupID(5), userID(5, i)); err != nil {
			t.Fatal(err)
		}
	}
	b := r.Sync(t, cfg, engine.Request{Trigger: model.TriggerSchedule})
	mustStatus(t, "job B", b, model.JobDone)
	o.job(b)
	stuck, err := r.Store(t, cfg).Job(ctx, "job-stuck")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "the stuck job", stuck, model.JobFailed)
	if len(stuck.Errors) == 0 || !strings.Contains(stuck.Errors[0], "no progress") {
		t.Errorf("stuck job errors %v, want a reason saying it made no progress", stuck.Errors)
	}
	writes := env.Writes()
	errs := q.Drain(ctx, a)
	for _, err := range errs {
		if !errors.Is(err, engine.ErrSuperseded) {
			t.Errorf("stuck job's step: %v, want ErrSuperseded", err)
		}
	}
	if got := env.Writes() - writes; got != 0 {
		t.Errorf("the stuck job's steps made %d target writes after it lost the rule, want 0", got)
	}
	o.Target = env.TargetState()
	if got := o.Target.Memberships(); got != 45 {
		t.Errorf("memberships: %d, want 45", got)
	}
	return o
}

// A redelivered trigger resumes its job: one job, no second apply.
func redeliveredTrigger(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	cfg := env.Config(store, liveRule)
	req := engine.Request{Trigger: model.TriggerSchedule, JobID: "job-once"}
	j := r.Sync(t, cfg, req)
	mustStatus(t, "first delivery", j, model.JobDone)
	o.job(j)
	writes := env.Writes()
	jobs := r.Redeliver(t, cfg, req)
	if len(jobs) != 1 || jobs[0].ID != j.ID {
		var ids []string
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		t.Errorf("jobs after a redelivered trigger: %v, want only %s", ids, j.ID)
	}
	if got := env.Writes() - writes; got != 0 {
		t.Errorf("the redelivery made %d target writes, want 0", got)
	}
	o.Target = env.TargetState()
	return o
}

// Two scheduled runs at once: one runs the rule, the other skips it or
// runs after it; the target is right either way and nothing is doubled.
func overlappingRuns(t *testing.T, env *Env, r Runner, store string) Observed {
	var o Observed
	cfg := env.Config(store, liveRule)
	jobs := r.SyncTogether(t, cfg, engine.Request{Trigger: model.TriggerSchedule}, engine.Request{Trigger: model.TriggerSchedule})
	done := 0
	for _, j := range jobs {
		switch {
		case j.Status == model.JobDone:
			done++
		case j.Status == model.JobFailed && len(j.Errors) == 1 && strings.Contains(j.Errors[0], "is running it"):
		default:
			t.Errorf("job %s: %s %v, want done, or skipped because the other ran", j.ID, j.Status, j.Errors)
		}
	}
	if done == 0 {
		t.Errorf("no job ran the rule")
	}
	o.Target = env.TargetState()
	if got := len(o.Target.Active); got != 50 {
		t.Errorf("active users: %d, want 50 (none twice)", got)
	}
	if got := o.Target.Memberships(); got != 50 {
		t.Errorf("memberships: %d, want 50", got)
	}
	return o
}

func groupID(g int) string   { return "g" + string(rune('0'+g)) }
func userID(g, i int) string { return string(rune('0'+g)) + "0" + string(rune('0'+i)) }

func memberOf(id string) workspacetest.Member {
	return workspacetest.Member{ID: id, Type: workspacetest.TypeUser, Role: workspacetest.RoleMember}
}
