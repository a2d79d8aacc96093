package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/remote"
)

// jobs lists recent jobs, or with "show ID" prints one job's report.
func (a *app) jobs(ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == "show" {
		return a.jobShow(ctx, args[1:])
	}
	fs := a.flags("jobs")
	limit := fs.Int("limit", 20, "how many jobs")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	var jobs []model.Job
	s, err := a.open(ctx, false, engine.Options{})
	if c := a.servedClient(ctx, err); c != nil {
		jobs, err = c.Jobs(ctx, *limit)
	} else if err == nil {
		defer s.close()
		jobs, err = s.store.Jobs(ctx, *limit)
	}
	if err != nil {
		return a.fail(err)
	}
	if *asJSON {
		return a.printJSON(jobs)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATUS\tTRIGGER\tSTARTED\tGROUPS\tCHANGES\tERRORS")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\n", j.ID, j.Status, j.Trigger,
			j.Started.Local().Format("2006-01-02 15:04:05"), j.Done, j.Total, countChanges(j.Counts), j.Counts.Errors)
	}
	tw.Flush()
	return exitOK
}

// jobReport is the JSON form of `jobs show`.
type jobReport struct {
	Job    model.Job           `json:"job"`
	Groups []model.GroupResult `json:"groups"`
	Held   []model.HeldPlan    `json:"held,omitempty"`
}

func (a *app) jobShow(ctx context.Context, args []string) int {
	fs := a.flags("jobs show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, ok := a.parse(fs, args, "ID")
	if !ok {
		return code
	}
	id := pos[0]
	var rep jobReport
	s, err := a.open(ctx, false, engine.Options{})
	if c := a.servedClient(ctx, err); c != nil {
		var v httpapi.JobView
		v, err = c.Job(ctx, id)
		rep = jobReport{Job: v.Job, Groups: v.Groups, Held: v.Held}
		if errors.Is(err, remote.ErrNotFound) {
			err = engine.ErrNotFound
		}
	} else if err == nil {
		defer s.close()
		rep, err = loadReport(ctx, s.store, id)
	}
	if errors.Is(err, engine.ErrNotFound) {
		return a.fail(fmt.Errorf("no job %s", id))
	}
	if err != nil {
		return a.fail(err)
	}
	if *asJSON {
		return a.printJSON(rep)
	}
	writeJobReport(a.stdout, rep)
	return exitOK
}

func loadReport(ctx context.Context, st engine.Store, id string) (jobReport, error) {
	j, err := st.Job(ctx, id)
	if err != nil {
		return jobReport{}, err
	}
	groups, err := st.GroupResults(ctx, id)
	if err != nil {
		return jobReport{}, err
	}
	held, err := st.Held(ctx, id)
	if err != nil {
		return jobReport{}, err
	}
	return jobReport{Job: j, Groups: groups, Held: held}, nil
}

func (a *app) printJSON(v any) int {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return a.fail(err)
	}
	return exitOK
}
