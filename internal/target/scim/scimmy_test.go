package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
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

// TestScimmyCreateUsers runs a batch of creates against the peer. Its
// server.js advertises no Bulk unless told to (scimmy-routers serves /Bulk,
// but the store sets bulk: false), so this covers CreateUsers without Bulk
// on a third-party server; the results must be the same with Bulk, which
// TestScimmyCreateUsersInBulk turns on.
func TestScimmyCreateUsers(t *testing.T) {
	srv := startScimmy(t, 5)
	tg := srv.target(t, 100)
	active := target.CreateOptions{Active: true}
	pre, err := tg.CreateUser(t.Context(), model.User{ID: "src-pre", Email: "pre@example.com"}, active)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	var users []target.UserCreate
	for i := range 7 {
		users = append(users, target.UserCreate{User: model.User{ID: fmt.Sprintf("src-%d", i), Email: fmt.Sprintf("batch%d@example.com", i)}, Opts: active})
	}
	users = append(users,
		target.UserCreate{User: model.User{ID: "src-pre", Email: "pre@example.com"}, Opts: active},
		target.UserCreate{User: model.User{ID: "src-other", Email: "Batch0@example.com"}, Opts: active},
		target.UserCreate{User: model.User{ID: "src-noemail"}, Opts: active},
		users[3],
	)
	res := tg.CreateUsers(t.Context(), users)
	if len(res) != len(users) {
		t.Fatalf("CreateUsers returned %d results for %d users", len(res), len(users))
	}
	for i, r := range res[:7] {
		if r.Err != nil || r.Adopted || r.TakenOver {
			t.Errorf("user %d: %+v, want created", i, r)
			continue
		}
		u, err := srv.User(t.Context(), r.ID)
		if err != nil || u.UserName != users[i].User.Email || u.ExternalID != users[i].User.ID {
			t.Errorf("user %d on the peer: %+v, %v; want %s with externalId %s", i, u, err, users[i].User.Email, users[i].User.ID)
		}
	}
	if r := res[7]; r.Err != nil || !r.TakenOver || r.ID != pre.ID {
		t.Errorf("existing own user: %+v, want %s taken over", r, pre.ID)
	}
	if r := res[8]; !errors.Is(r.Err, target.ErrConflict) {
		t.Errorf("another source user with the same userName: err = %v, want ErrConflict", r.Err)
	}
	if r := res[9]; r.Err == nil || errors.Is(r.Err, target.ErrConflict) {
		t.Errorf("user without email: err = %v, want a validation error", r.Err)
	}
	if r := res[10]; r.Err != nil || !r.TakenOver || r.ID != res[3].ID {
		t.Errorf("user 3 again: %+v, want %s taken over", r, res[3].ID)
	}
}

// TestScimmyCreateUsersInBulk runs CreateUsers against the peer with Bulk
// on (scimmy-routers' /Bulk): 25 users at maxOperations 10 go in three
// Bulk requests and no POST /Users, each operation counts as a write, and
// every user is on the peer as sent.
func TestScimmyCreateUsersInBulk(t *testing.T) {
	p := scimmypeer.StartWith(t, scimmypeer.Options{MaxResults: 5, BulkMaxOperations: 10})
	srv := scimmyServer{url: p.URL, token: p.Token}
	tg := srv.target(t, 100)
	if err := tg.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	const n = 25
	users := make([]target.UserCreate, n)
	for i := range users {
		users[i] = target.UserCreate{User: model.User{ID: fmt.Sprintf("src-%d", i), Email: fmt.Sprintf("bulk%d@example.com", i)}, Opts: target.CreateOptions{Active: true}}
	}
	p.Reset()
	before := tg.Stats()
	res := tg.CreateUsers(t.Context(), users)
	if len(res) != n {
		t.Fatalf("CreateUsers returned %d results for %d users", len(res), n)
	}
	ids := map[string]bool{}
	for i, r := range res {
		if r.Err != nil || r.ID == "" || r.Adopted || r.TakenOver {
			t.Errorf("user %d: %+v, want created", i, r)
			continue
		}
		ids[r.ID] = true
		u, err := srv.User(t.Context(), r.ID)
		if err != nil || u.UserName != users[i].User.Email || u.ExternalID != users[i].User.ID || !u.Active {
			t.Errorf("user %d on the peer: %+v, %v; want active %s with externalId %s", i, u, err, users[i].User.Email, users[i].User.ID)
		}
	}
	if len(ids) != n {
		t.Errorf("%d distinct IDs for %d users", len(ids), n)
	}
	if got := p.PathRequests(http.MethodPost, "/"); !cmp.Equal(got, map[string]int{"/Bulk": 3}) {
		t.Errorf("POST requests by path = %v, want 3 to /Bulk only", got)
	}
	if got := tg.Stats().Writes - before.Writes; got != n {
		t.Errorf("Stats.Writes grew by %d, want %d (one per Bulk operation)", got, n)
	}
}
