package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/groupsync/groupsync/internal/engine"
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
	remoteURL := fs.String("remote", "", remoteUsage)
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	var (
		jobs []model.Job
		err  error
	)
	if *remoteURL != "" {
		jobs, err = a.remoteJobs(ctx, *remoteURL, *limit)
	} else {
		jobs, err = a.localJobs(ctx, *limit)
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
	remoteURL := fs.String("remote", "", remoteUsage)
	pos, code, ok := a.parse(fs, args, "ID")
	if !ok {
		return code
	}
	id := pos[0]
	var (
		rep jobReport
		err error
	)
	if *remoteURL != "" {
		rep, err = a.remoteReport(ctx, *remoteURL, id)
	} else {
		rep, err = a.localReport(ctx, id)
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

// localJobs reads the store, or through a running `serve` that holds it.
func (a *app) localJobs(ctx context.Context, limit int) ([]model.Job, error) {
	s, err := a.open(ctx, false, engine.Options{})
	if c := a.servedClient(ctx, err); c != nil {
		return c.Jobs(ctx, limit)
	}
	if err != nil {
		return nil, err
	}
	defer s.close()
	return s.store.Jobs(ctx, limit)
}

// localReport reads one job from the store, or through a running `serve`.
func (a *app) localReport(ctx context.Context, id string) (jobReport, error) {
	s, err := a.open(ctx, false, engine.Options{})
	if c := a.servedClient(ctx, err); c != nil {
		v, err := c.Job(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			err = engine.ErrNotFound
		}
		return jobReport{Job: v.Job, Groups: v.Groups, Held: v.Held}, err
	}
	if err != nil {
		return jobReport{}, err
	}
	defer s.close()
	return loadReport(ctx, s.store, id)
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
