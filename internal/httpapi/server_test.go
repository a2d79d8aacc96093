package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
)

func TestNewServerHasTimeouts(t *testing.T) {
	srv := httpapi.NewServer(http.NotFoundHandler())
	for name, d := range map[string]int64{
		"ReadHeaderTimeout": int64(srv.ReadHeaderTimeout), "ReadTimeout": int64(srv.ReadTimeout),
		"WriteTimeout": int64(srv.WriteTimeout), "IdleTimeout": int64(srv.IdleTimeout),
	} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
}

// TestNoFraming: every answer of the site and the API, refusals included,
// forbids framing.
func TestNoFraming(t *testing.T) {
	opts := httpapi.Options{Starter: &recorder{}, Jobs: openBolt(t), Auth: httpapi.StaticToken("t")}
	for _, tc := range []struct {
		name string
		h    http.Handler
		auth bool
	}{
		{"site", httpapi.NewSite(opts), true},
		{"site unauthenticated", httpapi.NewSite(opts), false},
		{"api", httpapi.NewAPI(opts), true},
		{"api unauthenticated", httpapi.NewAPI(opts), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.auth {
				r.Header.Set("Authorization", "Bearer t")
			}
			resp, _ := do(t, tc.h, r)
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY (status %d)", got, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", got)
			}
		})
	}
}

func TestLocalStarterCapsRuns(t *testing.T) {
	f := newFixture(t, "")
	starter := httpapi.NewLocalStarter(f.cfg, f.engine, nil)
	starter.SetMaxRuns(1)
	ctx := t.Context()
	if _, err := starter.Start(ctx, engine.Request{}); err != nil {
		t.Fatalf("first Start: %v", err)
	}
	// The first run is still reading the directory.
	if _, err := starter.Start(ctx, engine.Request{}); !errors.Is(err, httpapi.ErrTooManyRuns) {
		t.Errorf("second Start while one run is in progress: err = %v, want ErrTooManyRuns", err)
	}
	if err := starter.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := starter.Start(ctx, engine.Request{}); err != nil {
		t.Errorf("Start after the run finished: %v", err)
	}
	if err := starter.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
