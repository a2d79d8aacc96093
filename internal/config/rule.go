package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// PlanPolicy converts the rule's policy, with defaults for anything unset,
// to the form internal/plan computes with. Force is left false: it comes
// from the operator, not the file.
func (r Rule) PlanPolicy() (plan.Policy, error) {
	p := r.Policy.withDefaults()
	out := plan.Policy{
		Mode:               plan.Mode(p.Mode),
		NoCreate:           p.NoCreate,
		NoUpdate:           p.NoUpdate,
		NoDelete:           p.NoDelete,
		Deprovision:        plan.Deprovision(p.Deprovision),
		CreateAsDisabled:   p.CreateAsDisabled,
		CreateMissingUsers: *p.CreateMissingUsers,
		AdoptExisting:      p.AdoptExisting,
	}
	for _, l := range []struct {
		key string
		s   string
		dst *plan.Limit
	}{
		{"max_deletes", p.MaxDeletes, &out.MaxDeletes},
		{"max_deletes_per_group", p.MaxDeletesPerGroup, &out.MaxDeletesPerGroup},
		{"max_scope_drop", p.MaxScopeDrop, &out.MaxScopeDrop},
	} {
		v, err := plan.ParseLimit(l.s)
		if err != nil {
			return plan.Policy{}, fmt.Errorf("rule %q: policy.%s: %w", r.Name, l.key, err)
		}
		*l.dst = v
	}
	return out, nil
}

// ModelMemberOptions returns the rule's member options, with defaults for
// anything unset.
func (r Rule) ModelMemberOptions() model.MemberOptions {
	m := r.Members.withDefaults()
	return model.MemberOptions{
		Types:            append([]string(nil), m.Types...),
		Nested:           m.Nested,
		IncludeSuspended: m.IncludeSuspended,
	}
}

// Match reports whether the filter selects the group with this email.
// Patterns and email compare case-insensitively; an empty Include selects
// every group, and Exclude wins over Include. A malformed pattern matches
// nothing (Load rejects them).
func (g GroupFilter) Match(email string) bool {
	email = model.NormalizeEmail(email)
	if matchAny(g.Exclude, email) {
		return false
	}
	return len(g.Include) == 0 || matchAny(g.Include, email)
}

func matchAny(patterns []string, email string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(strings.TrimSpace(p)), email); err == nil && ok {
			return true
		}
	}
	return false
}
