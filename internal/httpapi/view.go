package httpapi

import (
	"context"
	"errors"
	"slices"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// RuleView is one rule's part of a job: its gate and the named user
// changes it made (or, held or dry run, would make).
type RuleView struct {
	Rule    string             `json:"rule"`
	Gate    string             `json:"gate,omitempty"`
	Reasons []string           `json:"reasons,omitempty"`
	Users   []model.UserChange `json:"users,omitempty"`
}

// ruleLister is a Starter that knows the config's rules (LocalStarter).
type ruleLister interface {
	Rules() []string
}

func ruleNames(cfg *config.File) []string {
	out := make([]string, len(cfg.Rules))
	for i, r := range cfg.Rules {
		out[i] = r.Name
	}
	return out
}

func (a *api) job(ctx context.Context, id string) (JobView, error) {
	j, err := a.opts.Jobs.Job(ctx, id)
	if err != nil {
		return JobView{}, err
	}
	groups, err := a.opts.Jobs.GroupResults(ctx, id)
	if err != nil {
		return JobView{}, err
	}
	if groups == nil {
		groups = []model.GroupResult{}
	}
	v := JobView{Job: j, Groups: groups}
	if j.Status == model.JobHeld {
		if v.Held, err = a.opts.Jobs.Held(ctx, id); err != nil {
			return JobView{}, err
		}
	}
	for _, rule := range a.jobRules(j, groups) {
		run, err := a.opts.Jobs.RuleRun(ctx, id, rule)
		if errors.Is(err, engine.ErrNotFound) {
			continue // the job did not run this rule
		}
		if err != nil {
			return JobView{}, err
		}
		v.Rules = append(v.Rules, RuleView{Rule: rule, Gate: run.Gate, Reasons: run.Reasons, Users: run.Users})
	}
	return v, nil
}

// jobRules lists the rules a job may have run: the config's, else the
// ones its results and pending list name.
func (a *api) jobRules(j model.Job, groups []model.GroupResult) []string {
	rules := slices.Clone(a.opts.Rules)
	if j.Rule != "" {
		return []string{j.Rule}
	}
	rules = append(rules, j.Pending...)
	for _, g := range groups {
		rules = append(rules, g.Rule)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}
