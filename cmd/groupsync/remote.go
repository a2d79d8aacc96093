package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/remote"
)

// With --remote URL, jobs, jobs show, approve and sync call a deployed Sync
// function (or a `serve`) instead of opening the store: they need no
// config, no secret and no source access, only the operator's Google ID
// token (application default credentials, else gcloud).

// idTokenEnv overrides the ID token (automation, and a `serve` protected
// by GROUPSYNC_SERVE_TOKEN).
const idTokenEnv = "GROUPSYNC_ID_TOKEN"

const remoteUsage = "call the deployed Sync function at `URL` with your Google ID token instead of opening the store"

func (a *app) remoteClient(ctx context.Context, url string) (*remote.Client, error) {
	var tokens oauth2.TokenSource
	if tok := os.Getenv(idTokenEnv); tok != "" {
		tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})
	}
	c, err := remote.New(ctx, url, tokens)
	if err != nil {
		return nil, fmt.Errorf("--remote: %w", err)
	}
	return c, nil
}

// remoteErr turns the client's errors into the CLI's words.
func remoteErr(err error) error {
	switch {
	case errors.Is(err, remote.ErrNotFound):
		return fmt.Errorf("%w (on the deployment)", err)
	case errors.Is(err, remote.ErrRefused):
		return fmt.Errorf("the deployment refused: %w", err)
	}
	return err
}

// remoteSync starts a run on the deployment and waits for it to end.
func (a *app) remoteSync(ctx context.Context, url string, req engine.Request, asJSON bool) int {
	if req.Force {
		return a.fail(errors.New("sync --remote: the deployed API refuses --force (server policy wins); approve the held job instead"))
	}
	c, err := a.remoteClient(ctx, url)
	if err != nil {
		return a.fail(err)
	}
	id, err := c.Start(ctx, req)
	if err != nil {
		return a.fail(remoteErr(err))
	}
	fmt.Fprintf(a.stderr, "groupsync: job %s started on %s; waiting for it to end\n", id, url)
	return a.remoteWait(ctx, c, id, asJSON)
}

func (a *app) remoteWait(ctx context.Context, c *remote.Client, id string, asJSON bool) int {
	v, err := c.Wait(ctx, id, 2*time.Second)
	if err != nil {
		return a.fail(remoteErr(err))
	}
	if asJSON {
		a.printJSON(v.Job)
	} else {
		writeJobSummary(a.stdout, v.Job)
	}
	switch v.Job.Status {
	case model.JobDone:
		return exitOK
	case model.JobHeld:
		return exitHeld
	}
	return exitError
}

// remoteApprove shows what approving a held job will apply, asks (unless
// yes), approves it on the deployment and waits for the approval's job.
func (a *app) remoteApprove(ctx context.Context, url, id string, yes, asJSON bool) int {
	c, err := a.remoteClient(ctx, url)
	if err != nil {
		return a.fail(err)
	}
	v, err := c.Job(ctx, id)
	if err != nil {
		return a.fail(remoteErr(err))
	}
	if v.Job.Status != model.JobHeld {
		return a.fail(fmt.Errorf("job %s is %s: %w", id, v.Job.Status, engine.ErrNothingHeld))
	}
	writeJobReport(a.stderr, jobReport{Job: v.Job, Groups: v.Groups, Held: v.Held})
	if !yes {
		ok, err := a.confirm(fmt.Sprintf("Apply the held plan of job %s on %s?", id, url))
		if err != nil {
			return a.fail(err)
		}
		if !ok {
			fmt.Fprintln(a.stderr, "groupsync: not approved")
			return exitError
		}
	}
	newID, err := c.Approve(ctx, id)
	if err != nil {
		return a.fail(remoteErr(err))
	}
	fmt.Fprintf(a.stderr, "groupsync: approval %s started; waiting for it to end\n", newID)
	return a.remoteWait(ctx, c, newID, asJSON)
}

// confirm asks a yes/no question on the terminal. Without one it refuses,
// so a script must say --yes.
func (a *app) confirm(question string) (bool, error) {
	if fi, err := os.Stdin.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false, errors.New("approve --remote: no terminal to ask on; pass --yes to approve without asking")
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes", nil
}

// remoteJobs lists jobs on the deployment.
func (a *app) remoteJobs(ctx context.Context, url string, limit int) ([]model.Job, error) {
	c, err := a.remoteClient(ctx, url)
	if err != nil {
		return nil, err
	}
	jobs, err := c.Jobs(ctx, limit)
	return jobs, remoteErr(err)
}

// remoteReport reads one job on the deployment.
func (a *app) remoteReport(ctx context.Context, url, id string) (jobReport, error) {
	c, err := a.remoteClient(ctx, url)
	if err != nil {
		return jobReport{}, err
	}
	var v httpapi.JobView
	v, err = c.Job(ctx, id)
	if errors.Is(err, remote.ErrNotFound) {
		return jobReport{}, engine.ErrNotFound
	}
	return jobReport{Job: v.Job, Groups: v.Groups, Held: v.Held}, err
}
