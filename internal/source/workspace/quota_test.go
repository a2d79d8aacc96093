package workspace_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// quotaScale shrinks a minute so that a quota test runs in seconds (a
// minute is 2s, slow enough that even a loaded machine under -race makes
// requests faster than the quota allows): every
// rate and duration of the scenario is divided by it, which leaves the
// pacer's behaviour (whose tuning is relative to its ceiling) unchanged.
const quotaScale = 30

// TestTightQuotaReadsEverything is issue 10's scenario: a 300-group
// directory behind a quota of 120 queries a minute (another tool spends
// the rest), read by a client configured for Google's default 2,400 with
// 16 workers. The pacer must slow down to what the quota allows and every
// group must come out complete and equal to the org.
func TestTightQuotaReadsEverything(t *testing.T) {
	org := workspacetest.Generate(10, 600, 300)
	const window = time.Minute / quotaScale
	srv := workspacetest.NewServer(org, workspacetest.WithQuota(120, window))
	defer srv.Close()
	s := newSource(t, srv, func(c *workspace.Config) {
		c.QPM = workspace.DefaultQPM * quotaScale
		c.MaxAttempts = 3 // a fixed count is what used to give up
		c.MinBackoff = 500 * time.Millisecond / quotaScale
		c.MaxBackoff = 32 * time.Second / quotaScale
		c.HTTPClient = &http.Client{Transport: googleQuotaAnswers{http.DefaultTransport}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	groups, err := s.ListGroups(ctx)
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if len(groups) != 300 {
		t.Fatalf("ListGroups returned %d groups, want 300", len(groups))
	}
	got := readAllWith(t, ctx, 16, s, groups, model.MemberOptions{})
	elapsed := time.Since(start)

	incomplete := 0
	for _, g := range org.Groups {
		m := got[g.ID]
		if m.Incomplete {
			incomplete++
			t.Errorf("group %s: Incomplete, problems %q", g.Email, m.Problems)
		}
		if diff := cmp.Diff(wantMembers(org, g.ID, false), m.Members); diff != "" {
			t.Errorf("group %s members (-want +got):\n%s", g.Email, diff)
		}
	}
	p := s.Pacing()
	requests, rejected := srv.TotalRequests(), srv.QuotaRejections()
	t.Logf("%d groups, %d requests, %d quota rejections, %d rate cuts, pacer at %.0f of %.0f qpm; %v (%v unscaled); %d incomplete",
		len(groups), requests, rejected, p.Throttles, p.QPM/quotaScale, p.CeilingQPM/quotaScale,
		elapsed.Round(time.Millisecond), (elapsed * quotaScale).Round(time.Second), incomplete)
	if p.Throttles == 0 || p.QPM >= p.CeilingQPM {
		t.Errorf("pacer stats %+v: want it cut below its ceiling", p)
	}
	// The pacer must have learned the quota: most requests are accepted
	// (a fixed pace at the ceiling had over 80% refused).
	if rejected*3 > requests {
		t.Errorf("%d of %d requests rejected for quota, want under a third", rejected, requests)
	}
}

// googleQuotaAnswers drops Retry-After from the fake's answers: Google's
// 403 userRateLimitExceeded carries none, so a client cannot simply wait
// for the window to pass.
type googleQuotaAnswers struct{ base http.RoundTripper }

func (g googleQuotaAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := g.base.RoundTrip(r)
	if resp != nil {
		resp.Header.Del("Retry-After")
	}
	return resp, err
}
