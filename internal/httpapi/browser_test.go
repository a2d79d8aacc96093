package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// browser starts headless Chromium, or skips (fails with
// GROUPSYNC_REQUIRE_PEERS=1) when scripts/chromium.sh has not installed it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("GROUPSYNC_REQUIRE_PEERS") == "1" {
			t.Fatal("chromium is not installed (run: bash scripts/chromium.sh install)")
		}
		t.Skip("chromium is not installed (run: bash scripts/chromium.sh install)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1000, 800))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// screenshot saves the page: into docs/ when GROUPSYNC_SCREENSHOTS=1
// (how the README's pictures are made), else into the test's directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := t.TempDir()
	if os.Getenv("GROUPSYNC_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "..", "docs")
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowserApprovesHeldPlan drives the operator site in headless
// Chromium: the job list, a held job's page with its plan as a diff (and a
// group named like a script, shown as text), Approve, and the approval's
// page naming what it applied.
func TestBrowserApprovesHeldPlan(t *testing.T) {
	ctx := browser(t)
	org := workspacetest.SmallOrg()
	const evil = "<script>alert(1)</script>"
	org.Group("g3").Name = evil
	f := newFixtureOrg(t, org, `max_deletes: "1"`)
	starter := httpapi.NewLocalStarter(f.cfg, f.engine, nil)
	srv := httptest.NewServer(httpapi.NewSite(httpapi.Options{Starter: starter, Jobs: f.store, Auth: httpapi.LoopbackOnly{}}))
	t.Cleanup(srv.Close)

	if j, err := f.engine.Run(ctx, engine.Request{Trigger: model.TriggerCLI}); err != nil || j.Status != model.JobDone {
		t.Fatalf("first sync: %v %v", j.Status, err)
	}
	for _, u := range []string{"104", "105"} {
		if err := f.dir.RemoveMember("g3", u); err != nil {
			t.Fatal(err)
		}
	}
	held, err := f.engine.Run(ctx, engine.Request{Trigger: model.TriggerCLI})
	if err != nil || held.Status != model.JobHeld {
		t.Fatalf("second sync: %v %v, want held", held.Status, err)
	}

	var alerted atomic.Bool
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			alerted.Store(true)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	list := text(t, ctx, "#jobs")
	if !strings.Contains(list, held.ID) || !strings.Contains(list, "held") {
		t.Errorf("job list does not show held job %s:\n%s", held.ID, list)
	}
	screenshot(t, ctx, "site-jobs.png")

	if err := chromedp.Do(ctx, chromedp.Click(`a[href="/jobs/`+held.ID+`"]`), chromedp.WaitVisible("#approve")); err != nil {
		t.Fatal(err)
	}
	body := text(t, ctx, "body")
	html, err := chromedp.Run(ctx, chromedp.OuterHTML("html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plan waiting for approval", "− dee@example.com", "− eve@example.com", "disable user dee@example.com", evil} {
		if !strings.Contains(body, want) {
			t.Errorf("held job page does not show %q:\n%s", want, body)
		}
	}
	if strings.Contains(html, evil) || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the group name is not escaped in the page's HTML")
	}
	screenshot(t, ctx, "site-held.png")

	if err := chromedp.Do(ctx, chromedp.Click("#approve"), chromedp.WaitVisible(`#status.done`)); err != nil {
		t.Fatal(err)
	}
	body = text(t, ctx, "body")
	for _, want := range []string{"Approves held job " + held.ID, "− disable user dee@example.com", "− disable user eve@example.com", "− dee@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("approval page does not name %q:\n%s", want, body)
		}
	}
	screenshot(t, ctx, "site-approved.png")
	if got := f.targetMembers(t)["g3"]; len(got) != 0 {
		t.Errorf("sales members after approval: %v, want none", got)
	}
	if alerted.Load() {
		t.Error("a page ran the group name as a script")
	}
	j, err := f.store.Job(ctx, held.ID)
	if err != nil || j.Status != model.JobApproved {
		t.Errorf("held job after approval: %v %v, want approved", j.Status, err)
	}
}

// TestSiteRefusesUnauthenticatedPost: without the bearer token neither the
// Approve action nor a sync starts anything.
func TestSiteRefusesUnauthenticatedPost(t *testing.T) {
	f := newFixture(t, "")
	starter := httpapi.NewLocalStarter(f.cfg, f.engine, nil)
	srv := httptest.NewServer(httpapi.NewSite(httpapi.Options{Starter: starter, Jobs: f.store, Auth: httpapi.StaticToken("t0ken")}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/jobs/x/approve", "/sync", "/?approve=x", "/"} {
		resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("dry_run=on"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a token: got %s, want 401", path, resp.Status)
		}
	}
	if jobs, err := f.store.Jobs(t.Context(), 10); err != nil || len(jobs) != 0 {
		t.Errorf("refused posts started %d jobs (%v)", len(jobs), err)
	}
}
