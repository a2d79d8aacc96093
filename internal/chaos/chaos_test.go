package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/runmatrix"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/store/storetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

var (
	rounds = flag.Int("chaos.rounds", 4, "randomised runs (make chaos runs many more)")
	seed   = flag.Uint64("chaos.seed", 1, "random seed; a failure names the seed and round to replay")
)

const maxDeletes = 8

const rule = `
groups: {include: ["team*@example.com"]}
policy: {max_deletes: "8", max_deletes_per_group: "100%"}
`

// state is the target as the invariants see it.
type state struct {
	groups map[string]map[string]bool // displayName → member externalIds
	users  map[string]scimtest.User   // SCIM id →
}

func snapshot(s *scimtest.Server) state {
	st := state{groups: map[string]map[string]bool{}, users: map[string]scimtest.User{}}
	for _, u := range s.Users() {
		st.users[u.ID] = u
	}
	for _, g := range s.Groups() {
		m := map[string]bool{}
		for _, id := range g.Members {
			m[st.users[id].ExternalID] = true
		}
		st.groups[g.DisplayName] = m
	}
	return st
}

func (s state) active(ext string) bool {
	for _, u := range s.users {
		if u.ExternalID == ext {
			return u.Active
		}
	}
	return false
}

// sourceMembers is each group's active members in the directory, by email.
func sourceMembers(org *workspacetest.Org) map[string]map[string]bool {
	suspended := map[string]bool{}
	for _, u := range org.Users {
		suspended[u.ID] = u.Suspended
	}
	out := map[string]map[string]bool{}
	for _, g := range org.Groups {
		m := map[string]bool{}
		for _, mem := range g.Members {
			if mem.Type == workspacetest.TypeUser && !suspended[mem.ID] {
				m[mem.ID] = true
			}
		}
		out[g.Email] = m
	}
	return out
}

func TestChaos(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	st := newStats()
	checks := newStats()
	env := runmatrix.NewEnv(t)
	local := runmatrix.NewLocal(t)
	cfg := env.Config(local.StoreURL(), rule)
	bystander := env.SCIM.AddUser(scimtest.User{UserName: "bystander@example.com", Active: true})
	bystanders := env.SCIM.AddGroup(scimtest.Group{DisplayName: "bystanders@example.com", Members: []string{bystander}})
	if j := local.Sync(t, cfg, engine.Request{Trigger: "chaos"}); j.Status != model.JobDone {
		t.Fatalf("first sync: %s %v", j.Status, j.Errors)
	}
	start := time.Now()
	for round := range *rounds {
		t.Run(fmt.Sprintf("seed%d/round%03d", *seed, round), func(t *testing.T) {
			mutate(t, rng, env.Dir, round)
			inject(rng, env, st)
			before := snapshot(env.SCIM)
			kills := &storetest.Faulty{Kill: randomKills(rand.New(rand.NewPCG(rng.Uint64(), 1)), 0.04, st)}
			var j model.Job
			if rng.IntN(2) == 0 {
				st.add("runner: in-process queue")
				local.Wrap = func(s engine.Store) engine.Store { kills.Store = s; return kills }
				j = local.Sync(t, cfg, engine.Request{Trigger: "chaos"})
				local.Wrap = nil
			} else {
				st.add("runner: message queue (engine.Handle)")
				q := &chaosQueue{rng: rand.New(rand.NewPCG(rng.Uint64(), 2)), dup: 0.15, stats: st}
				kills.Store = local.Store(t, cfg)
				e := runmatrix.SideEngine(t, cfg, kills, q, 0)
				id := fmt.Sprintf("chaos-%d-%03d", *seed, round)
				q.Publish(context.Background(), engine.Step{Kind: engine.StepStart, JobID: id, Request: &engine.Request{Trigger: "chaos"}})
				for _, err := range q.drain(context.Background(), e) {
					t.Logf("final step error: %v", err)
				}
				var err error
				if j, err = local.Store(t, cfg).Job(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				if j.Status == model.JobRunning {
					// Its subscription gave up on a step: the job waits
					// for the reaper. Fail it now so the next run may go.
					j = endStuck(t, local, cfg, j)
				}
			}
			after := snapshot(env.SCIM)
			checkInvariants(t, env, before, after, j, bystander, bystanders, checks)
			env.Dir.ClearFaults()
			env.SCIM.ClearFaults()
			converge(t, env, local, cfg, checks)
		})
	}
	summary := fmt.Sprintf("Chaos: seed %d, %d rounds in %s; invariant violations: %d\n\n%s\n%s",
		*seed, *rounds, time.Since(start).Round(time.Second), checks.n["violation"], st.table("fault or condition injected"), checks.table("invariant checked"))
	t.Log("\n" + summary)
	if err := report(summary); err != nil {
		t.Error(err)
	}
}

// mutate makes one to three random directory changes.
func mutate(t *testing.T, rng *rand.Rand, dir *workspacetest.Server, round int) {
	t.Helper()
	org := dir.Org()
	for range 1 + rng.IntN(3) {
		g := org.Groups[rng.IntN(len(org.Groups))]
		u := org.Users[1+rng.IntN(len(org.Users)-1)]
		var err error
		switch rng.IntN(4) {
		case 0:
			if len(g.Members) > 0 {
				err = dir.RemoveMember(g.ID, g.Members[rng.IntN(len(g.Members))].ID)
			}
		case 1:
			err = dir.AddMember(g.ID, workspacetest.Member{ID: u.ID, Type: workspacetest.TypeUser, Role: workspacetest.RoleMember})
			if err != nil && strings.Contains(err.Error(), "already") {
				err = nil
			}
		case 2:
			err = dir.RenameUser(u.ID, fmt.Sprintf("r%d-%s", round, u.PrimaryEmail))
		case 3:
			err = dir.SetSuspended(u.ID, !u.Suspended)
		}
		if err != nil {
			t.Logf("mutation skipped: %v", err)
		}
	}
}

// inject queues random faults on both stand-ins.
func inject(rng *rand.Rand, env *runmatrix.Env, st *stats) {
	for range 1 + rng.IntN(4) {
		switch rng.IntN(7) {
		case 0:
			env.Dir.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMembers, Status: http.StatusServiceUnavailable, Times: 1 + rng.IntN(3)})
			st.add("directory 503")
		case 1:
			env.Dir.Inject(workspacetest.Fault{Status: http.StatusTooManyRequests, Times: 1 + rng.IntN(3)})
			st.add("directory 429 without Retry-After")
		case 2:
			env.Dir.Inject(workspacetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
			st.add("directory 429 with Retry-After")
		case 3:
			// A group whose member pages keep failing: its read is
			// incomplete and must remove nobody.
			env.Dir.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMembers, Group: fmt.Sprintf("g%d", 1+rng.IntN(5)), Status: http.StatusServiceUnavailable})
			st.add("directory member pages failing (truncated read)")
		case 4:
			env.SCIM.Fail("PATCH", 1+rng.IntN(3), http.StatusServiceUnavailable, "")
			st.add("SCIM 503 on PATCH")
		case 5:
			env.SCIM.Fail("", 1+rng.IntN(3), http.StatusTooManyRequests, "0")
			st.add("SCIM 429 with Retry-After")
		case 6:
			env.SCIM.Fail("POST", 1, http.StatusInternalServerError, "")
			st.add("SCIM 500 on POST")
		}
	}
}

// endStuck fails a job whose queue gave up, as the reaper would after its
// lease ran out, and lets its rule go.
func endStuck(t *testing.T, local *runmatrix.Local, cfg string, j model.Job) model.Job {
	t.Helper()
	st := local.Store(t, cfg)
	for _, rule := range j.Pending {
		st.ReleaseLease(context.Background(), "rule:"+rule, j.ID)
	}
	j, err := st.UpdateJob(context.Background(), j.ID, func(j *model.Job) error {
		j.Status, j.Errors = model.JobFailed, append(j.Errors, "chaos: a step was given up")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func checkInvariants(t *testing.T, env *runmatrix.Env, before, after state, j model.Job, bystander, bystanders string, checks *stats) {
	t.Helper()
	violate := func(format string, args ...any) {
		checks.add("violation")
		t.Errorf("job %s (%s): "+format, append([]any{j.ID, j.Status}, args...)...)
	}
	src := sourceMembers(env.Dir.Org())
	// 1. No member removed that the source still has.
	checks.add("no member removed that the source still has")
	deletes := 0
	for g, was := range before.groups {
		for ext := range was {
			if after.groups[g][ext] {
				continue
			}
			deletes++
			if src[g][ext] {
				violate("member %s removed from %s but the source still has it", ext, g)
			}
		}
	}
	for _, u := range before.users {
		if u.Active && !after.active(u.ExternalID) && u.ExternalID != "" {
			deletes++
		}
	}
	// 2. No duplicate users.
	checks.add("no duplicate users")
	seen := map[string]bool{}
	for _, u := range after.users {
		for _, k := range []string{"ext:" + u.ExternalID, "name:" + strings.ToLower(u.UserName)} {
			if k == "ext:" {
				continue
			}
			if seen[k] {
				violate("two users share %s", k)
			}
			seen[k] = true
		}
	}
	// 3. Only owned objects touched.
	checks.add("only owned objects touched")
	if u, ok := env.SCIM.User(bystander); !ok || !u.Active || u.UserName != "bystander@example.com" {
		violate("the bystander user was touched: %+v", u)
	}
	if g, ok := env.SCIM.Group(bystanders); !ok || !slices.Equal(g.Members, []string{bystander}) {
		violate("the bystander group was touched: %+v", g)
	}
	// 4. No limit exceeded without approval.
	checks.add("no limit exceeded without approval")
	if deletes > maxDeletes {
		violate("%d deletions applied, over max_deletes %d", deletes, maxDeletes)
	}
	if j.Status == model.JobHeld && deletes > 0 {
		violate("a held job applied %d deletions", deletes)
	}
}

// converge runs clean syncs (approving holds, as an operator would) and
// requires the second to change nothing and the target to equal the
// source.
func converge(t *testing.T, env *runmatrix.Env, local *runmatrix.Local, cfg string, checks *stats) {
	t.Helper()
	checks.add("converges within 2 clean runs")
	var last model.Job
	for range 2 {
		last = local.Sync(t, cfg, engine.Request{Trigger: "clean"})
		if last.Status == model.JobHeld {
			ap, err := local.Approve(t, cfg, last.ID)
			if err != nil {
				t.Fatalf("approve: %v", err)
			}
			last = ap
		}
	}
	c := last.Counts
	if last.Status != model.JobDone || c.MembersAdded+c.MembersRemove+c.UsersCreated+c.UsersUpdated+c.UsersDisabled+c.UsersDeleted+c.GroupsCreated+c.GroupsUpdated != 0 {
		checks.add("violation")
		t.Errorf("second clean run: %s, counts %+v, errors %v; want done with no changes", last.Status, c, last.Errors)
	}
	src := sourceMembers(env.Dir.Org())
	after := snapshot(env.SCIM)
	for g, want := range src {
		got := after.groups[g]
		for ext := range want {
			if !got[ext] {
				checks.add("violation")
				t.Errorf("after convergence, %s lacks source member %s", g, ext)
			}
		}
		for ext := range got {
			if !want[ext] {
				checks.add("violation")
				t.Errorf("after convergence, %s has %s, whom the source does not list", g, ext)
			}
		}
	}
}
