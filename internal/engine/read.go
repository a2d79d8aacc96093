package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// ruleRun is everything one rule's run reads before planning.
type ruleRun struct {
	rule    config.Rule
	src     Source
	tgt     Target
	policy  plan.Policy
	desired plan.Desired
	actual  plan.Actual
	// calls counts source API calls spent reading memberships.
	calls int
}

// scope lists the groups of a rule in scope, narrowed to one group (by
// email or ID) when only is set.
func (e *Engine) scope(ctx context.Context, r config.Rule, src Source, only string) ([]model.GroupInfo, error) {
	all, err := src.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("rule %s: list groups of source %s: %w", r.Name, r.Source, err)
	}
	var in []model.GroupInfo
	for _, g := range all {
		if !r.Groups.Match(g.Email) {
			continue
		}
		if only != "" && g.ID != only && !strings.EqualFold(g.Email, strings.TrimSpace(only)) {
			continue
		}
		in = append(in, g)
	}
	if only != "" && len(in) == 0 {
		return nil, fmt.Errorf("rule %s: group %q is not in the rule's scope", r.Name, only)
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Email < in[j].Email })
	return in, nil
}

// load reads the source and the store for one rule.
func (e *Engine) load(ctx context.Context, r config.Rule, only string, force bool) (*ruleRun, error) {
	src, tgt, err := e.connectors(r)
	if err != nil {
		return nil, err
	}
	pol, err := r.PlanPolicy()
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	pol.Force = force
	groups, err := e.scope(ctx, r, src, only)
	if err != nil {
		return nil, err
	}
	users, err := e.users.get(ctx, r.Source, src)
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	members, calls, err := e.readMembers(ctx, r, src, groups, users)
	if err != nil {
		return nil, err
	}
	actual, err := e.actual(ctx, r.Name, nil)
	if err != nil {
		return nil, err
	}
	return &ruleRun{
		rule:   r,
		src:    src,
		tgt:    tgt,
		policy: pol,
		desired: plan.Desired{
			Rule:     r.Name,
			Groups:   members,
			Users:    users,
			Complete: only == "",
		},
		actual: actual,
		calls:  calls,
	}, nil
}

// readMembers reads every group's membership in the worker pool. A group
// that cannot be read at all is kept as an incomplete membership with the
// error as a problem: it fails closed, and the rest of the run goes on.
func (e *Engine) readMembers(ctx context.Context, r config.Rule, src Source, groups []model.GroupInfo, users map[string]model.User) ([]model.Membership, int, error) {
	opts := r.ModelMemberOptions()
	out := make([]model.Membership, len(groups))
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, e.opts.Workers)
		mu    sync.Mutex
		calls int
		read  int
	)
	for i, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := src.ReadMembers(ctx, g, opts)
			if err != nil {
				m = model.Membership{Group: g, Incomplete: true, Problems: []string{err.Error()}}
			}
			m.Group = g
			out[i] = filterSuspended(m, users, opts.IncludeSuspended)
			mu.Lock()
			calls += m.Calls
			read++
			n := read
			mu.Unlock()
			if e.opts.Progress != nil {
				e.opts.Progress(Progress{Phase: PhaseRead, Rule: r.Name, Group: g.Email, Done: n, Total: len(groups)})
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, calls, err
	}
	return out, calls, nil
}

// filterSuspended drops members the directory reports suspended, unless
// the rule keeps them.
func filterSuspended(m model.Membership, users map[string]model.User, keep bool) model.Membership {
	if keep {
		return m
	}
	kept := m.Members[:0:0]
	for _, mem := range m.Members {
		if u, ok := users[mem.ID]; ok && u.Suspended {
			continue
		}
		kept = append(kept, mem)
	}
	m.Members = kept
	return m
}

// actual loads what groupsync last applied for a rule: every group's
// snapshot, or only those of the groups named in only (a per-group task
// need not read the whole rule).
func (e *Engine) actual(ctx context.Context, rule string, only []string) (plan.Actual, error) {
	var snaps []model.Snapshot
	if only == nil {
		all, err := e.store.Snapshots(ctx, rule)
		if err != nil {
			return plan.Actual{}, fmt.Errorf("rule %s: read snapshots: %w", rule, err)
		}
		snaps = all
	}
	for _, id := range only {
		s, ok, err := e.store.Snapshot(ctx, rule, id)
		if err != nil {
			return plan.Actual{}, fmt.Errorf("rule %s: read snapshot of %s: %w", rule, id, err)
		}
		if ok {
			snaps = append(snaps, s)
		}
	}
	groups, err := e.store.OwnedAll(ctx, rule, model.KindGroup)
	if err != nil {
		return plan.Actual{}, fmt.Errorf("rule %s: read owned groups: %w", rule, err)
	}
	users, err := e.store.OwnedAll(ctx, rule, model.KindUser)
	if err != nil {
		return plan.Actual{}, fmt.Errorf("rule %s: read owned users: %w", rule, err)
	}
	st, _, err := e.store.RuleState(ctx, rule)
	if err != nil {
		return plan.Actual{}, fmt.Errorf("rule %s: read state: %w", rule, err)
	}
	a := plan.Actual{
		Snapshots: make(map[string]model.Snapshot, len(snaps)),
		Groups:    make(map[string]model.Owned, len(groups)),
		Users:     make(map[string]model.Owned, len(users)),
		LastScope: st.LastScope,
	}
	for _, s := range snaps {
		a.Snapshots[s.GroupID] = s
	}
	for _, o := range groups {
		a.Groups[o.SourceID] = o
	}
	for _, o := range users {
		a.Users[o.SourceID] = o
	}
	return a, nil
}
