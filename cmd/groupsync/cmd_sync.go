package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// sync runs the rules and reports progress: a redrawn status line on a
// terminal, one plain line per group otherwise.
func (a *app) sync(ctx context.Context, args []string) int {
	fs := a.flags("sync")
	rule := fs.String("rule", "", "only this rule")
	group := fs.String("group", "", "only this group (email or ID)")
	dry := fs.Bool("dry-run", false, "plan and record the job, apply nothing")
	force := fs.Bool("force", false, "apply even when a deletion limit is exceeded")
	full := fs.Bool("full", false, "read every group even where change hints would do (a full reconcile)")
	asJSON := fs.Bool("json", false, "print the job as JSON; progress goes to stderr")
	remoteURL := fs.String("remote", "", remoteUsage)
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	if *remoteURL != "" {
		return a.remoteSync(ctx, *remoteURL, engine.Request{Trigger: model.TriggerHTTP, Rule: *rule, Group: *group, DryRun: *dry, Force: *force, Full: *full}, *asJSON)
	}
	out := a.stdout
	if *asJSON {
		out = a.stderr
	}
	prog := newProgress(out)
	s, err := a.open(ctx, true, engine.Options{Progress: prog.update})
	if err != nil {
		return a.fail(err)
	}
	defer s.close()
	job, err := s.engine.Run(ctx, engine.Request{
		Trigger: model.TriggerCLI, Rule: *rule, Group: *group, DryRun: *dry, Force: *force, Full: *full,
	})
	prog.end()
	if err != nil {
		return a.fail(err)
	}
	if *asJSON {
		a.printJSON(job)
	} else {
		writeJobSummary(a.stdout, job)
	}
	switch job.Status {
	case model.JobDone:
		return exitOK
	case model.JobHeld:
		fmt.Fprintf(out, "review: groupsync jobs show %s\napprove: groupsync approve %s\n", job.ID, job.ID)
		return exitHeld
	}
	return exitError
}

// progress renders engine progress events.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool // nothing at all (plan's progress off a terminal)

	mu    sync.Mutex
	drawn bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) update(ev engine.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	if p.tty {
		if ev.Phase == engine.PhaseRead {
			fmt.Fprintf(p.w, "\r\033[K[reading %d/%d groups] rule %s  %s", ev.Done, ev.Total, ev.Rule, ev.Group)
		} else {
			fmt.Fprintf(p.w, "\r\033[K[%d/%d groups] %d changes, %d errors  %s", ev.Done, ev.Total, ev.Changes, ev.Errors, ev.Group)
		}
		p.drawn = true
		return
	}
	if ev.Phase == engine.PhaseRead {
		// Plain output is for logs: one line per group result is enough.
		return
	}
	fmt.Fprintf(p.w, "group %s (%s): %s [%d/%d]\n", ev.Group, ev.Rule, ev.Status, ev.Done, ev.Total)
}

func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
