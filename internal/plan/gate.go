package plan

import "github.com/groupsync/groupsync/internal/model"

// Gate is a rule's gate decision: whether its summed plan may be applied.
type Gate struct {
	// Decision is model.GatePass, model.GateHeld or model.GateDryRun.
	Decision string
	// Reasons says why a plan is held, or would be held in a dry run,
	// each prefixed with the rule's name.
	Reasons []string
}

// Decide is the one place a rule's run is allowed to write. Its input is
// the rule's whole plan, from Compute over every group in scope, so the run
// limit, the per-group limits and the scope drop have all been checked
// before anything is applied. A dry run (requested, or the rule's config)
// never passes, whatever the plan; a held plan applies nothing until an
// operator approves it.
func Decide(p model.Plan, dryRun bool) Gate {
	reasons := heldReasons(p)
	switch {
	case dryRun:
		return Gate{Decision: model.GateDryRun, Reasons: reasons}
	case p.IsHeld():
		return Gate{Decision: model.GateHeld, Reasons: reasons}
	}
	return Gate{Decision: model.GatePass}
}

// heldReasons lists why p is held. Plan.Held summarises held groups; the
// groups' own reasons are the fallback for plans without a summary.
func heldReasons(p model.Plan) []string {
	out := append([]string(nil), p.Held...)
	if len(out) == 0 {
		for _, g := range p.Groups {
			out = append(out, g.Held...)
		}
	}
	for i := range out {
		out[i] = "rule " + p.Rule + ": " + out[i]
	}
	return out
}
