package engine

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
)

// Plan simulates a run: it reads the source and the store and returns each
// rule's plan, computed exactly as a run's gate computes it. It writes
// nothing anywhere.
func (e *Engine) Plan(ctx context.Context, req Request) ([]model.Plan, error) {
	e.fresh()
	rules, err := e.selectRules(req.Rule)
	if err != nil {
		return nil, err
	}
	var plans []model.Plan
	for _, r := range rules {
		p, err := e.simulate(ctx, r, req.Group, req.Force)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// simulate lists, reads and plans one rule in this process.
func (e *Engine) simulate(ctx context.Context, r config.RunRule, only string, force bool) (model.Plan, error) {
	src, _, err := e.connectors(r)
	if err != nil {
		return model.Plan{}, err
	}
	groups, err := e.scope(ctx, r, src, only)
	if err != nil {
		return model.Plan{}, err
	}
	users, err := e.users.get(ctx, r.Source, src)
	if err != nil {
		return model.Plan{}, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	reads, _, err := e.readMembers(ctx, r, src, groups, users, true)
	if err != nil {
		return model.Plan{}, err
	}
	return e.computeRule(ctx, r, reads, force, only == "")
}
