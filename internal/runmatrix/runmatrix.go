// Package runmatrix is the scenario matrix that every runner of the run
// algorithm passes: the CLI's in-process runner (Local, here) and the
// cloud's Pub/Sub runner on the emulators (functions' tests). Each
// scenario drives a runner against the same stand-ins, a fake Directory
// API and a strict SCIM server reached through the real clients, and
// asserts the safety invariants; the matrix then checks that both runners
// left the same target state, job statuses and counts.
package runmatrix

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// Runner runs syncs the way one runner does. Every call takes the whole
// config file, so a scenario can change the deployed policy between runs.
type Runner interface {
	// Sync runs one sync to its end and returns the job.
	Sync(t *testing.T, cfg string, req engine.Request) model.Job
	// SyncTogether starts the requests at once and returns their jobs
	// once all have ended.
	SyncTogether(t *testing.T, cfg string, reqs ...engine.Request) []model.Job
	// Redeliver runs the trigger of a job that already ran again, as a
	// redelivered message would, and returns the jobs that exist after.
	Redeliver(t *testing.T, cfg string, req engine.Request) []model.Job
	// Approve approves a held job and returns the approval's job.
	Approve(t *testing.T, cfg string, jobID string) (model.Job, error)
	// Store opens the runner's store for a side engine (a job run by
	// hand); the runner keeps ownership of it.
	Store(t *testing.T, cfg string) engine.Store
}

// Env is one scenario's stand-ins.
type Env struct {
	Dir  *workspacetest.Server
	SCIM *scimtest.Server
	key  string
	tok  string
}

// NewEnv starts the stand-ins with Org: five teams of ten users.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	e := &Env{Dir: workspacetest.NewServer(Org()), SCIM: scimtest.NewServer(scimtest.Options{})}
	t.Cleanup(e.Dir.Close)
	t.Cleanup(e.SCIM.Close)
	dir := t.TempDir()
	e.key = filepath.Join(dir, "dwd-key.json")
	e.tok = filepath.Join(dir, "scim-token")
	if err := os.WriteFile(e.key, e.Dir.ServiceAccountKey("groupsync@fake-project.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.tok, []byte(e.SCIM.Token()), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// Org is five groups team1…team5@example.com of ten users each.
func Org() *workspacetest.Org {
	o := &workspacetest.Org{CustomerID: "C0matrix", Domain: "example.com"}
	o.Users = append(o.Users, &workspacetest.User{ID: "100", PrimaryEmail: "admin@example.com", GivenName: "admin", FamilyName: "Test"})
	for g := 1; g <= 5; g++ {
		grp := &workspacetest.Group{ID: fmt.Sprintf("g%d", g), Email: fmt.Sprintf("team%d@example.com", g), Name: fmt.Sprintf("team %d", g)}
		for i := range 10 {
			id := fmt.Sprintf("%d%02d", g, i)
			o.Users = append(o.Users, &workspacetest.User{ID: id, PrimaryEmail: "u" + id + "@example.com", GivenName: "u" + id, FamilyName: "Test"})
			grp.Members = append(grp.Members, workspacetest.Member{ID: id, Type: workspacetest.TypeUser, Role: workspacetest.RoleMember})
		}
		o.Groups = append(o.Groups, grp)
	}
	return o
}

// Config returns a config file for the stand-ins: store, then the rule's
// YAML (indented under "- name: all").
func (e *Env) Config(store, rule string) string {
	return fmt.Sprintf(`store: %s
sources:
  corp:
    type: workspace
    admin_subject: admin@example.com
    credentials: file://%s
    endpoint: %s
    token_url: %s
    qpm: 600000
targets:
  app:
    type: scim
    url: %s
    token: file://%s
rules:
  - name: all
    source: corp
    target: app
%s`, store, e.key, e.Dir.URL(), e.Dir.TokenURL(), e.SCIM.URL(), e.tok, indent(rule))
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			b.WriteString("    " + strings.TrimSpace(l) + "\n")
		}
	}
	return b.String()
}

// Target is the SCIM server's state as people see it: each group's
// members by userName, and the active users.
type Target struct {
	Groups map[string][]string
	Active []string
}

// TargetState reads the SCIM server.
func (e *Env) TargetState() Target {
	users := map[string]scimtest.User{}
	out := Target{Groups: map[string][]string{}}
	for _, u := range e.SCIM.Users() {
		users[u.ID] = u
		if u.Active {
			out.Active = append(out.Active, u.UserName)
		}
	}
	for id := 1; id < 10000; id++ {
		g, ok := e.SCIM.Group(fmt.Sprintf("g-%d", id))
		if !ok {
			continue
		}
		var names []string
		for _, m := range g.Members {
			names = append(names, users[m].UserName)
		}
		slices.Sort(names)
		out.Groups[g.DisplayName] = names
	}
	return out
}

// Writes counts the SCIM server's write requests.
func (e *Env) Writes() int {
	n := 0
	for m, c := range e.SCIM.Requests() {
		if m != "GET" {
			n += c
		}
	}
	return n
}

// Memberships counts the target's group memberships.
func (t Target) Memberships() int {
	n := 0
	for _, m := range t.Groups {
		n += len(m)
	}
	return n
}
