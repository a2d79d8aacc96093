package scim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
	"github.com/groupsync/groupsync/internal/target/targettest"
)

// scimmyServer is the third-party SCIM server in scripts/scim-server,
// started as a node process on a free 127.0.0.1 port.
type scimmyServer struct {
	url, token string
}

// startScimmy starts the server, or skips the test when node or the
// server's node_modules are missing, unless GROUPSYNC_REQUIRE_PEERS=1 (CI),
// where that fails the test.
func startScimmy(t *testing.T, maxResults int) scimmyServer {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv("GROUPSYNC_REQUIRE_PEERS") == "1" {
		unavailable = t.Fatalf
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "scripts", "scim-server"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed: %v", err)
		return scimmyServer{}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "scimmy-routers")); err != nil {
		unavailable("scimmy server not installed; run: npm ci --prefix scripts/scim-server")
		return scimmyServer{}
	}
	const token = "scimmy-test-token"
	cmd := exec.Command(node, "server.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCIM_TOKEN="+token, "PORT=0", fmt.Sprintf("MAX_RESULTS=%d", maxResults))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start scimmy server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				ready <- u
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case u := <-ready:
		return scimmyServer{url: u, token: token}
	case <-time.After(30 * time.Second):
		t.Fatalf("scimmy server did not print its address within 30s")
	}
	return scimmyServer{}
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
