package workspace_test

import (
	"context"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

func TestResetSeesChangesMadeAfterARead(t *testing.T) {
	org := workspacetest.Generate(3, 40, 5)
	srv := workspacetest.NewServer(org)
	t.Cleanup(srv.Close)
	s := newSource(t, srv)
	ctx := context.Background()
	g := org.Groups[2]
	before, err := s.ReadMembers(ctx, groupInfo(g), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	victim := before.Members[0]
	if err := srv.RemoveMember(g.Email, victim.ID); err != nil {
		t.Fatal(err)
	}
	cached, err := s.ReadMembers(ctx, groupInfo(g), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(cached.Members), len(before.Members); got != want {
		t.Fatalf("within a run: got %d members, want the cached %d", got, want)
	}
	s.Reset()
	after, err := s.ReadMembers(ctx, groupInfo(g), model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range after.Members {
		if m.ID == victim.ID {
			t.Fatalf("after Reset: %s is still a member", victim.Email)
		}
	}
	if got, want := len(after.Members), len(before.Members)-1; got != want {
		t.Errorf("after Reset: got %d members, want %d", got, want)
	}
}
