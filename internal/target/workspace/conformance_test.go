package workspace_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	wsource "github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/targettest"
	"github.com/groupsync/groupsync/internal/target/workspace"
)

var (
	_ engine.Target  = (*workspace.Target)(nil)
	_ engine.Checker = (*workspace.Target)(nil)
)

const admin = "admin@example.com"

// newServer starts a fake example.com domain with only its admin.
func newServer(t testing.TB, opts ...workspacetest.Option) *workspacetest.Server {
	t.Helper()
	org := &workspacetest.Org{CustomerID: "C0target", Domain: "example.com",
		Users: []*workspacetest.User{{ID: "100", PrimaryEmail: admin, GivenName: "Admin", FamilyName: "Test"}}}
	srv := workspacetest.NewServer(org, opts...)
	t.Cleanup(srv.Close)
	return srv
}

// newTarget returns a Target for srv with fast retries; edit adjusts the
// config first.
func newTarget(t testing.TB, srv *workspacetest.Server, edit func(*workspace.Config)) *workspace.Target {
	t.Helper()
	cfg := workspace.Config{Directory: wsource.Config{
		AdminSubject: admin,
		Credentials:  srv.ServiceAccountKey("groupsync@test.iam.gserviceaccount.com"),
		Endpoint:     srv.URL(),
		TokenURL:     srv.TokenURL(),
		QPM:          1 << 30, // pacing is the source's to test; here it would only add sleeps
		MinBackoff:   time.Millisecond,
		MaxBackoff:   10 * time.Millisecond,
	}}
	if edit != nil {
		edit(&cfg)
	}
	tg, err := workspace.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("workspace.New: %v", err)
	}
	return tg
}

// fakeState reads the fake's directory without going through the target.
type fakeState struct{ srv *workspacetest.Server }

func (f fakeState) User(_ context.Context, id string) (targettest.User, error) {
	u := f.srv.Org().User(id)
	if u == nil || u.ID != id {
		return targettest.User{}, fmt.Errorf("user %s: %w", id, target.ErrNotFound)
	}
	got := targettest.User{ID: u.ID, UserName: u.PrimaryEmail, Active: !u.Suspended}
	for _, x := range u.ExternalIDs {
		if x.Type == "custom" && x.CustomType == "groupsync" {
			got.ExternalID = x.Value
		}
	}
	return got, nil
}

func (f fakeState) Group(_ context.Context, id string) (targettest.Group, error) {
	g := f.srv.Org().Group(id)
	if g == nil || g.ID != id {
		return targettest.Group{}, fmt.Errorf("group %s: %w", id, target.ErrNotFound)
	}
	// Google groups have no externalId; the description of a group
	// groupsync created names its source.
	got := targettest.Group{ID: g.ID, DisplayName: g.Email, ExternalID: workspace.SourceGroupID(g.Description)}
	for _, m := range g.Members {
		got.Members = append(got.Members, m.ID)
	}
	return got, nil
}

func TestConformance(t *testing.T) {
	srv := newServer(t)
	targettest.Run(t, targettest.Harness{
		New: func(t *testing.T, batch int) (engine.Target, targettest.State) {
			return newTarget(t, srv, func(c *workspace.Config) { c.BatchSize = batch }), fakeState{srv}
		},
		GroupsWithoutExternalID: true,
	})
}
