package workspace_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

func TestHintsNameChangedGroupsAndUsersAfterTheAuditLag(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg(), workspacetest.WithAuditLag(90*time.Second))
	defer srv.Close()
	clk := workspacetest.NewClock(time.Now().UTC())
	srv.SetClock(clk.Now)
	src := newSource(t, srv)
	start := clk.Now()

	if err := srv.AddMember("sales@example.com", workspacetest.Member{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.RenameUser("104", "dee.d@example.com"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	// Within the lag: nothing is listed yet.
	h, err := src.Hints(t.Context(), start.Add(-workspace.AuditOverlap), clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Groups)+len(h.Users) != 0 {
		t.Errorf("Hints within the audit lag = %+v, want none", h)
	}
	clk.Add(time.Minute)
	before := srv.Requests(workspacetest.EndpointReports)
	h, err = src.Hints(t.Context(), start.Add(-workspace.AuditOverlap), clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := model.Hints{Groups: []string{"sales@example.com"}, Users: []string{"ada@example.com", "dee.d@example.com", "dee@example.com"}, Until: clk.Now()}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Hints after the lag (-want +got):\n%s", diff)
	}
	// One activities.list call per application.
	if n := srv.Requests(workspacetest.EndpointReports) - before; n != 2 {
		t.Errorf("Hints made %d Reports API calls, want 2", n)
	}
}

func TestHintsAskFullReadForNestingAndDeletes(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg())
	defer srv.Close()
	src := newSource(t, srv)
	start := time.Now().Add(-time.Minute)
	srv.RecordAudit(workspacetest.AuditEvent{App: workspacetest.AppAdmin, Type: "GROUP_SETTINGS", Name: "ADD_GROUP_MEMBER",
		Params: map[string]string{"GROUP_EMAIL": "sales@example.com", "USER_EMAIL": "eng@example.com", "MEMBER_TYPE": "group"}})
	h, err := src.Hints(t.Context(), start, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Full || h.Reason == "" {
		t.Errorf("Hints after a nesting change = %+v, want Full with a reason", h)
	}
}

func TestHintsWithoutTheAuditScope(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg(),
		workspacetest.WithGrantedScopes(workspacetest.ScopeGroupReadonly, workspacetest.ScopeUserReadonly))
	defer srv.Close()
	src := newSource(t, srv)
	_, err := src.Hints(t.Context(), time.Now().Add(-time.Hour), time.Now())
	if !errors.Is(err, workspace.ErrNoAuditScope) {
		t.Errorf("Hints without the scope: got %v, want ErrNoAuditScope", err)
	}
	// The directory reads do not depend on it.
	if _, err := src.ListGroups(t.Context()); err != nil {
		t.Errorf("ListGroups without the audit scope: %v", err)
	}
}

func TestHintsAskFullReadWhenAUserComesBack(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg())
	defer srv.Close()
	src := newSource(t, srv)
	start := time.Now().Add(-time.Minute)
	// The user's groups take them back with no event naming a group.
	if err := srv.SetSuspended("104", false); err != nil {
		t.Fatal(err)
	}
	h, err := src.Hints(t.Context(), start, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Full || h.Reason == "" {
		t.Errorf("Hints after an unsuspension = %+v, want Full with a reason", h)
	}
}

// A flattened group names the groups nested in it, so a hint about one of
// them can make the run full.
func TestReadMembersNamesNestedGroups(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg())
	defer srv.Close()
	src := newSource(t, srv)
	m, err := src.ReadMembers(t.Context(), model.GroupInfo{ID: "g1", Email: "eng@example.com"}, model.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nested) == 0 || m.Nested[0] != "g2" {
		t.Errorf("Nested of eng@example.com = %v, want g2 (and its email) first", m.Nested)
	}
}
