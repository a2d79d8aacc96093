package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
	"github.com/groupsync/groupsync/internal/target/scim/scimmypeer"
	"github.com/groupsync/groupsync/internal/target/targettest"
)

// scimmyServer is the third-party SCIM server in scripts/scim-server,
// started as a node process on a free 127.0.0.1 port.
type scimmyServer struct {
	url, token string
}

// startScimmy starts the server through scimmypeer, which skips the test
// when node or the server's node_modules are missing, unless
// GROUPSYNC_REQUIRE_PEERS=1 (CI), where that fails the test.
func startScimmy(t *testing.T, maxResults int) scimmyServer {
	t.Helper()
	p := scimmypeer.Start(t, maxResults)
	return scimmyServer{url: p.URL, token: p.Token}
}

func (s scimmyServer) target(t *testing.T, batch int) *scim.Target {
	tg, err := scim.New(t.Context(), scim.Config{
		URL: s.url, Token: s.token, BatchSize: batch,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return tg
}

// get reads one resource straight from the server, not through the client.
func (s scimmyServer) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("GET %s: %w", path, target.ErrNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (s scimmyServer) User(ctx context.Context, id string) (targettest.User, error) {
	var u struct {
		ID, UserName, ExternalID string
		Active                   bool
	}
	if err := s.get(ctx, "/Users/"+id, &u); err != nil {
		return targettest.User{}, err
	}
	return targettest.User{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, Active: u.Active}, nil
}

func (s scimmyServer) Group(ctx context.Context, id string) (targettest.Group, error) {
	var g struct {
		ID, DisplayName, ExternalID string
		Members                     []struct{ Value string }
	}
	if err := s.get(ctx, "/Groups/"+id, &g); err != nil {
		return targettest.Group{}, err
	}
	out := targettest.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID}
	for _, m := range g.Members {
		out.Members = append(out.Members, m.Value)
	}
	return out, nil
}

func TestScimmyConformance(t *testing.T) {
	srv := startScimmy(t, 5)
	targettest.Run(t, targettest.Harness{
		New: func(t *testing.T, batch int) (engine.Target, targettest.State) {
			return srv.target(t, batch), srv
		},
	})
}

func TestScimmyCheck(t *testing.T) {
	srv := startScimmy(t, 5)
	if err := srv.target(t, 100).Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
	bad := scimmyServer{url: srv.url, token: "wrong"}
	err := bad.target(t, 100).Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Check with a wrong token: err = %v, want a 401 message", err)
	}
}
