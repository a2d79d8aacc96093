package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// scope lists the groups of a rule in scope, narrowed to one group (by
// email or ID) when only is set.
func (e *Engine) scope(ctx context.Context, r config.RunRule, src Source, only string) ([]model.GroupInfo, error) {
	all, err := e.listGroups(ctx, r, src)
	if err != nil {
		return nil, err
	}
	return inScope(r, all, only)
}

func (e *Engine) listGroups(ctx context.Context, r config.RunRule, src Source) ([]model.GroupInfo, error) {
	all, err := src.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("rule %s: list groups of source %s: %w", r.Name, r.Source, err)
	}
	return all, nil
}

// inScope keeps the listed groups the rule's patterns match, narrowed to
// one group (by email or ID) when only is set, sorted by email.
func inScope(r config.RunRule, all []model.GroupInfo, only string) ([]model.GroupInfo, error) {
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

// read reads one group of a rule and stages it for the rule's gate. The
// read that completes the rule's scope publishes the gate.
func (e *Engine) read(ctx context.Context, q Queue, jobID, rule string, g model.GroupInfo) error {
	r, err := e.rule(rule)
	if err != nil {
		return err
	}
	if err := e.fence(ctx, jobID, rule); err != nil {
		return err
	}
	run, err := e.store.RuleRunHead(ctx, jobID, rule)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read run: %w", rule, err))
	}
	if run.Gate != "" {
		return nil // a late redelivery: the gate has decided
	}
	src, _, err := e.connectors(r)
	if err != nil {
		return err
	}
	e.freshFor(jobID)
	var m model.Membership
	if users, err := e.users.get(ctx, r.Source, src); err != nil {
		// Without the directory the suspended filter cannot work: fail
		// closed on this group rather than guess.
		m = model.Membership{Group: g, Incomplete: true, Problems: []string{err.Error()}}
	} else {
		ms, _, err := e.readMembers(ctx, r, src, []model.GroupInfo{g}, users, false)
		if err != nil {
			return retry(err)
		}
		m = withoutKnownEmails(ms[0], users)
	}
	n, err := e.store.PutStaged(ctx, jobID, rule, m)
	if err != nil {
		return retry(fmt.Errorf("rule %s: stage %s: %w", rule, g.Email, err))
	}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: PhaseRead, JobID: jobID, Rule: rule, Group: g.Email, Done: n, Total: run.Total})
	}
	if n >= run.Total {
		return q.Publish(ctx, Step{Kind: StepGate, JobID: jobID, Rule: rule})
	}
	return nil
}

// readMembers reads every group's membership in the worker pool. A group
// that cannot be read at all is kept as an incomplete membership with the
// error as a problem: it fails closed, and the rest of the run goes on.
func (e *Engine) readMembers(ctx context.Context, r config.RunRule, src Source, groups []model.GroupInfo, users map[string]model.User, progress bool) ([]model.Membership, int, error) {
	opts := r.Members
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
			if progress && e.opts.Progress != nil {
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

// withoutKnownEmails clears the members' emails the directory already
// has: plans label and create users from the directory's record, and the
// gate holds every staged member of the rule at once.
func withoutKnownEmails(m model.Membership, users map[string]model.User) model.Membership {
	// The source may share its listings between groups: write a copy.
	m.Members = slices.Clone(m.Members)
	for i, mem := range m.Members {
		if u, ok := users[mem.ID]; ok && u.Email != "" {
			m.Members[i].Email = ""
		}
	}
	return m
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
