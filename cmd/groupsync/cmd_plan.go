package main

import (
	"context"
	"encoding/json"

	"github.com/groupsync/groupsync/internal/engine"
)

// plan simulates a run and prints the changes per group. It writes nothing:
// not the store, not the target.
func (a *app) plan(ctx context.Context, args []string) int {
	fs := a.flags("plan")
	rule := fs.String("rule", "", "only this rule")
	group := fs.String("group", "", "only this group (email or ID)")
	asJSON := fs.Bool("json", false, "print the plans as JSON")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	// Progress goes to stderr, and only to a terminal: stdout is the plan.
	prog := newProgress(a.stderr)
	prog.quiet = !prog.tty
	s, err := a.open(ctx, true, engine.Options{Progress: prog.update})
	if err != nil {
		return a.fail(err)
	}
	defer s.close()
	plans, err := s.engine.Plan(ctx, engine.Request{Rule: *rule, Group: *group})
	prog.end()
	if err != nil {
		return a.fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plans); err != nil {
			return a.fail(err)
		}
	} else {
		for _, p := range plans {
			writePlan(a.stdout, p)
		}
	}
	for _, p := range plans {
		if p.Changes() > 0 {
			return exitChanges
		}
	}
	return exitOK
}
