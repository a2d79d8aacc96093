package remote_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/remote"
	"github.com/groupsync/groupsync/internal/store/bolt"
)

type starter struct{ reqs []engine.Request }

func (s *starter) Start(_ context.Context, r engine.Request) (string, error) {
	s.reqs = append(s.reqs, r)
	return "job-new", nil
}

// approver refuses every approval as a changed source would.
type approver struct{}

func (approver) Approve(_ context.Context, id string) (string, error) {
	return "", fmt.Errorf("job %s: %w", id, engine.ErrSourceChanged)
}

func TestClient(t *testing.T) {
	ctx := t.Context()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	held := model.Job{ID: "20260301T100000Z-aaaa", Trigger: model.TriggerSchedule, Status: model.JobHeld, Started: time.Now()}
	if err := st.CreateJob(ctx, held); err != nil {
		t.Fatal(err)
	}
	s := &starter{}
	srv := httptest.NewServer(httpapi.NewSite(httpapi.Options{Starter: s, Approver: approver{}, Jobs: st, Auth: httpapi.StaticToken("id-token")}))
	t.Cleanup(srv.Close)

	c, err := remote.New(ctx, srv.URL, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "id-token"}))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := c.Jobs(ctx, 5)
	if err != nil || len(jobs) != 1 || jobs[0].ID != held.ID {
		t.Errorf("Jobs: got %v, %v; want the held job", jobs, err)
	}
	v, err := c.Job(ctx, held.ID)
	if err != nil || v.Job.Status != model.JobHeld {
		t.Errorf("Job: got %+v, %v", v.Job, err)
	}
	if _, err := c.Job(ctx, "nope"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("Job(nope): err = %v, want ErrNotFound", err)
	}
	if id, err := c.Start(ctx, engine.Request{Rule: "all", DryRun: true}); err != nil || id != "job-new" || len(s.reqs) != 1 || !s.reqs[0].DryRun {
		t.Errorf("Start: got %q, %v, requests %+v", id, err, s.reqs)
	}
	if _, err := c.Approve(ctx, held.ID); !errors.Is(err, remote.ErrRefused) {
		t.Errorf("Approve of a changed source: err = %v, want ErrRefused", err)
	}

	bad, err := remote.New(ctx, srv.URL, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "wrong"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Jobs(ctx, 5); err == nil {
		t.Error("Jobs with a wrong token: no error")
	}
	if _, err := remote.New(ctx, "ftp://x", nil); err == nil {
		t.Error("New(ftp://x): no error")
	}
}
