package scim_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
	"github.com/groupsync/groupsync/internal/target/targettest"
)

var (
	_ engine.Target  = (*scim.Target)(nil)
	_ engine.Checker = (*scim.Target)(nil)
)

// newTarget returns a Target for srv with fast retries.
func newTarget(t testing.TB, srv *scimtest.Server, batch int) *scim.Target {
	t.Helper()
	tg, err := scim.New(context.Background(), scim.Config{
		URL:        srv.URL(),
		Token:      srv.Token(),
		BatchSize:  batch,
		MinBackoff: time.Millisecond,
		MaxBackoff: 20 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return tg
}

// fakeState reads a scimtest server's state.
type fakeState struct{ srv *scimtest.Server }

func (f fakeState) User(_ context.Context, id string) (targettest.User, error) {
	u, ok := f.srv.User(id)
	if !ok {
		return targettest.User{}, fmt.Errorf("user %s: %w", id, target.ErrNotFound)
	}
	return targettest.User{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, Active: u.Active}, nil
}

func (f fakeState) Group(_ context.Context, id string) (targettest.Group, error) {
	g, ok := f.srv.Group(id)
	if !ok {
		return targettest.Group{}, fmt.Errorf("group %s: %w", id, target.ErrNotFound)
	}
	return targettest.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: g.Members}, nil
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts scimtest.Options
	}{
		{"AWSLike", scimtest.Options{}},
		{"Strictest", scimtest.Options{RejectDuplicateAdd: true, RejectMissingRemove: true, MaxResults: 2}},
		{"NoFilteredRemove", scimtest.Options{RejectFilteredRemove: true, RejectMissingRemove: true}},
		{"NoPatch", scimtest.Options{NoPatch: true}},
		{"ETag", scimtest.Options{ETag: true, MembersInGet: true}},
		{"NoServiceProviderConfig", scimtest.Options{NoServiceProviderConfig: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			targettest.Run(t, targettest.Harness{
				New: func(t *testing.T, batch int) (engine.Target, targettest.State) {
					srv := scimtest.NewServer(tc.opts)
					t.Cleanup(srv.Close)
					return newTarget(t, srv, batch), fakeState{srv}
				},
			})
		})
	}
}
