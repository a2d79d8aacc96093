package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
)

// writePlan prints one rule's plan: what would be created, changed and
// removed, per group, as GCDS's simulation report does.
func writePlan(w io.Writer, p model.Plan) {
	fmt.Fprintf(w, "rule %s: %d changes\n", p.Rule, p.Changes())
	for _, r := range p.Held {
		fmt.Fprintf(w, "  HELD: %s\n", r)
	}
	creates := slices.Clone(p.CreateUsers)
	slices.SortFunc(creates, func(a, b model.User) int { return strings.Compare(a.Email, b.Email) })
	for _, u := range creates {
		fmt.Fprintf(w, "  + create user %s\n", u.Email)
	}
	for _, u := range p.UpdateUsers {
		if u.Was != "" && !strings.EqualFold(u.Was, u.User.Email) {
			fmt.Fprintf(w, "  ~ update user %s (was %s)\n", u.User.Email, u.Was)
		} else {
			fmt.Fprintf(w, "  ~ update user %s\n", u.User.Email)
		}
	}
	for _, u := range p.DisableUsers {
		fmt.Fprintf(w, "  ! disable user %s\n", u.Email)
	}
	for _, u := range p.DeleteUsers {
		fmt.Fprintf(w, "  - delete user %s\n", u.Email)
	}
	unchanged := 0
	for _, g := range p.Groups {
		if g.Empty() && len(g.Held) == 0 && len(g.Skipped) == 0 && !g.Incomplete {
			unchanged++
			continue
		}
		writeGroupPlan(w, "  ", g)
	}
	if unchanged > 0 {
		fmt.Fprintf(w, "  %d groups unchanged\n", unchanged)
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "  skipped: %s\n", s)
	}
}

func writeGroupPlan(w io.Writer, indent string, g model.GroupPlan) {
	head := "group " + g.Email
	switch {
	case g.CreateGroup:
		head = "+ create group " + g.Email
	case g.UpdateGroup:
		head = "~ update group " + g.Email
	}
	fmt.Fprintf(w, "%s%s: +%d -%d\n", indent, head, len(g.Add), len(g.Remove))
	if g.Incomplete {
		fmt.Fprintf(w, "%s    incomplete source read: nothing will be removed\n", indent)
	}
	for _, r := range g.Held {
		fmt.Fprintf(w, "%s    HELD: %s\n", indent, r)
	}
	for _, id := range g.Add {
		fmt.Fprintf(w, "%s    + %s\n", indent, g.Label(id))
	}
	for _, id := range g.Remove {
		fmt.Fprintf(w, "%s    - %s\n", indent, g.Label(id))
	}
	for _, s := range g.Skipped {
		fmt.Fprintf(w, "%s    skipped: %s\n", indent, s)
	}
}

func countChanges(c model.Counts) int {
	return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
		c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
}

func writeCounts(w io.Writer, c model.Counts) {
	fmt.Fprintf(w, "  groups: %d (%d unchanged, %d created, %d updated, %d incomplete, %d held)\n",
		c.Groups, c.Unchanged, c.GroupsCreated, c.GroupsUpdated, c.Incomplete, c.Held)
	fmt.Fprintf(w, "  members: +%d -%d\n", c.MembersAdded, c.MembersRemove)
	fmt.Fprintf(w, "  users: %d created, %d updated, %d disabled, %d deleted\n",
		c.UsersCreated, c.UsersUpdated, c.UsersDisabled, c.UsersDeleted)
	fmt.Fprintf(w, "  errors: %d\n", c.Errors)
}

// writeJobSummary prints a finished job's totals.
func writeJobSummary(w io.Writer, j model.Job) {
	mode := ""
	if j.DryRun {
		mode = " (dry run: nothing applied)"
	}
	fmt.Fprintf(w, "job %s: %s%s\n", j.ID, j.Status, mode)
	writeCounts(w, j.Counts)
	for _, h := range j.Held {
		fmt.Fprintf(w, "  HELD: %s\n", h)
	}
	for _, e := range j.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, n := range j.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// writeJobReport prints a job and each group's result.
func writeJobReport(w io.Writer, r jobReport) {
	j := r.Job
	fmt.Fprintf(w, "job %s\n", j.ID)
	fmt.Fprintf(w, "  status:   %s\n", j.Status)
	fmt.Fprintf(w, "  trigger:  %s\n", j.Trigger)
	if j.ApproveOf != "" {
		fmt.Fprintf(w, "  approves: %s\n", j.ApproveOf)
	}
	if j.Rule != "" || j.Group != "" || j.DryRun || j.Force {
		fmt.Fprintf(w, "  filters:  rule=%q group=%q dry_run=%v force=%v\n", j.Rule, j.Group, j.DryRun, j.Force)
	}
	fmt.Fprintf(w, "  started:  %s\n", j.Started.Local().Format("2006-01-02 15:04:05 MST"))
	if !j.Finished.IsZero() {
		fmt.Fprintf(w, "  finished: %s (%s)\n", j.Finished.Local().Format("2006-01-02 15:04:05 MST"), j.Finished.Sub(j.Started).Round(1e6))
	}
	fmt.Fprintf(w, "  progress: %d/%d groups\n", j.Done, j.Total)
	writeCounts(w, j.Counts)
	for _, h := range j.Held {
		fmt.Fprintf(w, "  HELD: %s\n", h)
	}
	for _, e := range j.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, n := range j.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(r.Groups) > 0 {
		fmt.Fprintln(w, "groups:")
	}
	for _, g := range r.Groups {
		fmt.Fprintf(w, "  %-10s %s (rule %s): +%d -%d\n", g.Status, g.Email, g.Rule, g.Counts.MembersAdded, g.Counts.MembersRemove)
		for _, e := range g.Errors {
			fmt.Fprintf(w, "      error: %s\n", e)
		}
		for _, p := range g.Problems {
			fmt.Fprintf(w, "      problem: %s\n", p)
		}
		for _, c := range g.Cycles {
			fmt.Fprintf(w, "      cycle: %s\n", strings.Join(c, " → "))
		}
		if g.Status == model.GroupHeld || g.Status == model.GroupPlanned {
			for _, id := range g.Plan.Add {
				fmt.Fprintf(w, "      + %s\n", g.Plan.Label(id))
			}
			for _, id := range g.Plan.Remove {
				fmt.Fprintf(w, "      - %s\n", g.Plan.Label(id))
			}
		}
		for _, r := range g.Plan.Held {
			fmt.Fprintf(w, "      held: %s\n", r)
		}
	}
	for _, h := range r.Held {
		fmt.Fprintf(w, "held plan for rule %s (approve with: groupsync approve %s):\n", h.Rule, j.ID)
		writePlan(w, h.Plan)
	}
}
