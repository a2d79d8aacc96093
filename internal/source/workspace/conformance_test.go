package workspace_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/source/sourcetest"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// TestConformance runs the source suite on workspacetest.SmallOrg, with
// eng-core@'s listing failing so that eng@ reads incomplete.
func TestConformance(t *testing.T) {
	srv := workspacetest.NewServer(workspacetest.SmallOrg())
	t.Cleanup(srv.Close)
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMembers, Group: "eng-core@example.com", Status: http.StatusServiceUnavailable})
	s := newSource(t, srv, func(c *workspace.Config) {
		c.MaxAttempts, c.MinBackoff, c.MaxBackoff = 2, time.Millisecond, time.Millisecond
	})
	sourcetest.Run(t, sourcetest.Fixture{
		Source:  s,
		Group:   "sales@example.com",
		Members: []string{"dee@example.com", "eve@example.com"},
		Broken:  "eng@example.com",
		Keeps:   []string{"ada@example.com", "bob@example.com"},
		Rename: func(t *testing.T, from string) string {
			to := strings.Replace(from, "@", ".renamed@", 1)
			if err := srv.RenameUser(from, to); err != nil {
				t.Fatal(err)
			}
			return to
		},
		Reset: s.Reset,
	})
}
