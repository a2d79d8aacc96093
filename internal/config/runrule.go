package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/groupsync/groupsync/internal/mapping"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// RunRule is a rule resolved once for running: every default applied,
// the policy typed and its limits parsed. The engine consumes these, never
// the file.
type RunRule struct {
	Name    string
	Source  string
	Target  string
	Groups  GroupFilter
	Members model.MemberOptions
	Policy  plan.Policy
	// DryRun is the rule's policy.dry_run: the deployed config can make
	// every run of the rule a dry run, and no request can undo that.
	DryRun bool
	// Mapping is the compiled rules[].mapping, nil when the rule maps
	// nothing.
	Mapping *mapping.Mapping
	// FullEvery is rules[].full_every: the longest a rule goes on change
	// hints between full reconciles (0: every run is full).
	FullEvery time.Duration
	// Fingerprint hashes the rule's config, so a run can tell that the
	// rule changed since its state was recorded.
	Fingerprint string
}

// RunRules resolves every rule of the file, in file order.
func (f *File) RunRules() ([]RunRule, error) {
	out := make([]RunRule, 0, len(f.Rules))
	for _, r := range f.Rules {
		rr, err := r.RunRule()
		if err != nil {
			return nil, err
		}
		out = append(out, rr)
	}
	return out, nil
}

// RunRule resolves one rule.
func (r Rule) RunRule() (RunRule, error) {
	pol, err := r.PlanPolicy()
	if err != nil {
		return RunRule{}, err
	}
	m, errs := mapping.Compile(r.Mapping)
	if len(errs) > 0 {
		return RunRule{}, fmt.Errorf("rule %s: mapping: %w", r.Name, errors.Join(errs...))
	}
	every, err := r.FullEveryDuration()
	if err != nil {
		return RunRule{}, err
	}
	spec, err := json.Marshal(r)
	if err != nil {
		return RunRule{}, fmt.Errorf("rule %s: fingerprint: %w", r.Name, err)
	}
	return RunRule{
		Fingerprint: model.HashStrings(string(spec)),
		FullEvery:   every,
		Mapping:     m,
		Name:        r.Name,
		Source:      r.Source,
		Target:      r.Target,
		Groups:      r.Groups,
		Members:     r.ModelMemberOptions(),
		Policy:      pol,
		DryRun:      r.Policy.DryRun,
	}, nil
}

// DefaultFullEvery is rules[].full_every when unset: a daily full
// reconcile.
const DefaultFullEvery = 24 * time.Hour

// FullEveryDuration parses rules[].full_every.
func (r Rule) FullEveryDuration() (time.Duration, error) {
	if r.FullEvery == "" {
		return DefaultFullEvery, nil
	}
	d, err := time.ParseDuration(r.FullEvery)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("rule %s: full_every: %q is not a duration of 0s or more (e.g. 24h, 6h, 30m)", r.Name, r.FullEvery)
	}
	return d, nil
}
