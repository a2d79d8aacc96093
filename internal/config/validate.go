package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/groupsync/groupsync/internal/mapping"
	"github.com/groupsync/groupsync/internal/plan"
)

// ValidationError lists every problem found in a config file, each a
// single line "FILE: KEY: reason".
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "\n") }

// reRuleName keeps rule names safe as store keys and document IDs.
var reRuleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

var memberTypes = []string{"USER", "GROUP", "CUSTOMER", "EXTERNAL"}

// problems collects "FILE: KEY: reason" lines.
type problems struct {
	file  string
	lines []string
}

func (p *problems) add(key, format string, args ...any) {
	p.lines = append(p.lines, p.file+": "+key+": "+fmt.Sprintf(format, args...))
}

// validate checks a defaulted file and returns every problem.
func (f *File) validate() []string {
	p := &problems{file: f.Path}
	if _, err := ParseStore(f.Store); err != nil {
		p.add("store", "%v", err)
	}
	if len(f.Sources) == 0 {
		p.add("sources", "at least one source is required")
	}
	for _, name := range sortedKeys(f.Sources) {
		f.Sources[name].validate(p, "sources."+name)
	}
	if len(f.Targets) == 0 {
		p.add("targets", "at least one target is required")
	}
	for _, name := range sortedKeys(f.Targets) {
		f.Targets[name].validate(p, "targets."+name)
	}
	if len(f.Rules) == 0 {
		p.add("rules", "at least one rule is required")
	}
	seen := make(map[string]int)
	for i, r := range f.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if first, ok := seen[r.Name]; ok && r.Name != "" {
			p.add(key+".name", "duplicate rule name %q (also rules[%d])", r.Name, first)
		} else {
			seen[r.Name] = i
		}
		r.validate(p, key, f)
	}
	if f.Schedule != "" {
		if err := checkCron(f.Schedule); err != nil {
			p.add("schedule", "%v", err)
		}
	}
	return p.lines
}

func (s Source) validate(p *problems, key string) {
	switch s.Type {
	case TypeWorkspace:
	case TypeLDAP:
		s.validateLDAP(p, key)
		return
	case "":
		p.add(key+".type", "required (want %s or %s)", TypeWorkspace, TypeLDAP)
	default:
		p.add(key+".type", "%q is not a supported source type (want %s or %s)", s.Type, TypeWorkspace, TypeLDAP)
	}
	checkDelegation(p, key, s.AdminSubject, s.Credentials, s.ServiceAccount)
	if s.Domain != "" && (strings.ContainsAny(s.Domain, "@/: ") || !strings.Contains(s.Domain, ".")) {
		p.add(key+".domain", "%q is not a domain name", s.Domain)
	}
	checkConnection(p, key, s.Endpoint, s.TokenURL, s.QPM)
}

func (t Target) validate(p *problems, key string) {
	switch t.Type {
	case TypeSCIM:
		t.rejectWorkspaceKeys(p, key)
	case TypeWorkspace:
		t.validateWorkspace(p, key)
		return
	case "":
		p.add(key+".type", "required (want %s or %s)", TypeSCIM, TypeWorkspace)
	default:
		p.add(key+".type", "%q is not a supported target type (want %s or %s)", t.Type, TypeSCIM, TypeWorkspace)
	}
	checkURL(p, key+".url", t.URL, true)
	if t.Token == "" {
		p.add(key+".token", "required (want %s)", secretRefWant)
	} else if err := checkSecretRef(t.Token); err != nil {
		p.add(key+".token", "%v", err)
	}
	if t.BatchSize < 0 {
		p.add(key+".batch_size", "%d is not a positive number", t.BatchSize)
	}
	if t.RPM < 0 {
		p.add(key+".rpm", "%d is not a positive number (0 means no pacing)", t.RPM)
	}
}

func (r Rule) validate(p *problems, key string, f *File) {
	switch {
	case r.Name == "":
		p.add(key+".name", "required")
	case !reRuleName.MatchString(r.Name):
		p.add(key+".name", "%q may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit", r.Name)
	}
	if r.Source == "" {
		p.add(key+".source", "required")
	} else if _, ok := f.Sources[r.Source]; !ok {
		p.add(key+".source", "%q is not defined under sources", r.Source)
	}
	if r.Target == "" {
		p.add(key+".target", "required")
	} else if _, ok := f.Targets[r.Target]; !ok {
		p.add(key+".target", "%q is not defined under targets", r.Target)
	}
	_, errs := mapping.Compile(r.Mapping)
	for _, err := range errs {
		var merr *mapping.Error
		if errors.As(err, &merr) {
			p.add(key+".mapping."+merr.Key, "%v", merr.Err)
		}
	}
	if _, err := r.FullEveryDuration(); err != nil {
		p.add(key+".full_every", "%q is not a duration of 0s or more (e.g. 24h, 6h, 30m)", r.FullEvery)
	}
	checkPatterns(p, key+".groups.include", r.Groups.Include)
	checkPatterns(p, key+".groups.exclude", r.Groups.Exclude)

	for i, t := range r.Members.Types {
		if !slices.Contains(memberTypes, t) {
			p.add(fmt.Sprintf("%s.members.types[%d]", key, i), "%q is not a member type (want USER, GROUP, CUSTOMER or EXTERNAL)", t)
		}
	}
	if n := r.Members.Nested; n != NestedFlatten && n != NestedDirect {
		p.add(key+".members.nested", "%q is not %s or %s", n, NestedFlatten, NestedDirect)
	}

	pol := r.Policy
	switch plan.Mode(pol.Mode) {
	case plan.ModeSync, plan.ModeAddOnly, plan.ModeRemoveOnly:
	default:
		p.add(key+".policy.mode", "%q is not a mode (want %s, %s or %s)", pol.Mode, plan.ModeSync, plan.ModeAddOnly, plan.ModeRemoveOnly)
	}
	switch plan.Deprovision(pol.Deprovision) {
	case plan.DeprovisionDisable, plan.DeprovisionDelete, plan.DeprovisionNone:
	default:
		p.add(key+".policy.deprovision", "%q is not a deprovision action (want %s, %s or %s)", pol.Deprovision, plan.DeprovisionDisable, plan.DeprovisionDelete, plan.DeprovisionNone)
	}
	for _, l := range []struct{ name, v string }{
		{"max_deletes", pol.MaxDeletes},
		{"max_deletes_per_group", pol.MaxDeletesPerGroup},
		{"max_scope_drop", pol.MaxScopeDrop},
	} {
		if _, err := plan.ParseLimit(l.v); err != nil {
			p.add(key+".policy."+l.name, "%v", err)
		}
	}
}

func checkPatterns(p *problems, key string, patterns []string) {
	for i, pat := range patterns {
		k := fmt.Sprintf("%s[%d]", key, i)
		if strings.TrimSpace(pat) == "" {
			p.add(k, "empty pattern")
			continue
		}
		if _, err := path.Match(strings.ToLower(strings.TrimSpace(pat)), ""); err != nil {
			p.add(k, "bad pattern %q: %v", pat, err)
		}
	}
}

func checkURL(p *problems, key, s string, required bool) {
	if s == "" {
		if required {
			p.add(key, "required")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(key, "%q is not an absolute http(s) URL", s)
	}
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
