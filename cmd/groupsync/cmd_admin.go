package main

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// approve applies a held job's plans if the source is unchanged since.
func (a *app) approve(ctx context.Context, args []string) int {
	fs := a.flags("approve")
	asJSON := fs.Bool("json", false, "print the job as JSON")
	remoteURL := fs.String("remote", "", remoteUsage)
	yes := fs.Bool("yes", false, "with --remote: approve without asking")
	pos, code, ok := a.parse(fs, args, "JOB")
	if !ok {
		return code
	}
	if *remoteURL != "" {
		return a.remoteApprove(ctx, *remoteURL, pos[0], *yes, *asJSON)
	}
	s, err := a.open(ctx, true, engine.Options{})
	if err != nil {
		return a.fail(err)
	}
	defer s.close()
	job, err := s.engine.Approve(ctx, pos[0])
	if err != nil {
		return a.fail(err)
	}
	if *asJSON {
		a.printJSON(job)
	} else {
		writeJobSummary(a.stdout, job)
	}
	if job.Status != model.JobDone {
		return exitError
	}
	return exitOK
}

// disconnect forgets a rule's ownership; nothing in the target changes.
func (a *app) disconnect(ctx context.Context, args []string) int {
	fs := a.flags("disconnect")
	rule := fs.String("rule", "", "the rule to disconnect (required)")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	if *rule == "" {
		fmt.Fprintf(a.stderr, "groupsync disconnect: --rule is required\n%s", usageLine("disconnect", fs))
		return exitError
	}
	s, err := a.open(ctx, false, engine.Options{})
	if err != nil {
		return a.fail(err)
	}
	defer s.close()
	if err := s.engine.Disconnect(ctx, *rule); err != nil {
		return a.fail(err)
	}
	fmt.Fprintf(a.stdout, "rule %s disconnected: groupsync no longer manages its target objects; nothing was deleted\n", *rule)
	return exitOK
}
