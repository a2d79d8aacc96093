package workspace_test

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/workspace"
)

func ldapHash(scheme string, sum []byte) string {
	return "{" + scheme + "}" + base64.StdEncoding.EncodeToString(sum)
}

func TestPasswordsByHashKind(t *testing.T) {
	sha := sha1.Sum([]byte("secret"))
	md := md5.Sum([]byte("secret"))
	const sha512crypt = "$6$rounds=5000$saltsalt$Qd5ZjyR2GRBgLyGw5S1p2DvB0KR7uQdD1vNQb0M1TqT0L1vX3ZrK8nT0z1p3bP6m6c1oX8nYQp0Yx3Vf6ZtZk."
	tests := []struct {
		name, hash         string
		wantPassword       string // "" for a random one
		wantHash           string
		wantChangeAtSignIn bool
	}{
		{"crypt sha512", "{CRYPT}" + sha512crypt, sha512crypt, "crypt", false},
		{"crypt md5, lower-case scheme", "{crypt}$1$salt$qJH7.N4xYta3aEG/dfqo/0", "$1$salt$qJH7.N4xYta3aEG/dfqo/0", "crypt", false},
		{"sha", ldapHash("SHA", sha[:]), hex.EncodeToString(sha[:]), "SHA-1", false},
		{"md5", ldapHash("MD5", md[:]), hex.EncodeToString(md[:]), "MD5", false},
		{"salted sha: random", ldapHash("SSHA", append(sha[:], "salt"...)), "", "", true},
		{"bcrypt crypt: random", "{CRYPT}$2y$10$abcdefghijklmnopqrstuuJ9yq0C9L9Hn6n7k4oE2q3wX1yZ8mQ.", "", "", true},
		{"none: random", "", "", "", true},
	}
	srv := newServer(t)
	tg := newTarget(t, srv, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := model.User{ID: fmt.Sprintf("pw-%d", i), Email: fmt.Sprintf("pw%d@example.com", i), GivenName: "P", FamilyName: "W", PasswordHash: tt.hash}
			c, err := tg.CreateUser(t.Context(), u, target.CreateOptions{Active: true})
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			got := srv.Org().User(c.ID)
			if got.HashFunction != tt.wantHash || got.ChangePasswordAtNextLogin != tt.wantChangeAtSignIn {
				t.Errorf("hashFunction %q, changePasswordAtNextLogin %v; want %q, %v",
					got.HashFunction, got.ChangePasswordAtNextLogin, tt.wantHash, tt.wantChangeAtSignIn)
			}
			switch {
			case tt.wantPassword != "" && got.Password != tt.wantPassword:
				t.Errorf("password %q, want %q", got.Password, tt.wantPassword)
			case tt.wantPassword == "" && (len(got.Password) < 16 || got.Password == tt.hash):
				t.Errorf("password %q, want a long random one", got.Password)
			}
		})
	}
}

// orgWithUsers is a fake domain with n users (IDs u0000…) and a group g1.
func orgWithUsers(n int) *workspacetest.Org {
	org := &workspacetest.Org{CustomerID: "C0target", Domain: "example.com",
		Users:  []*workspacetest.User{{ID: "100", PrimaryEmail: admin, GivenName: "Admin", FamilyName: "Test"}},
		Groups: []*workspacetest.Group{{ID: "g1", Email: "g1@example.com", Name: "g1"}}}
	for i := range n {
		org.Users = append(org.Users, &workspacetest.User{ID: fmt.Sprintf("u%04d", i), PrimaryEmail: fmt.Sprintf("u%04d@example.com", i), GivenName: "U", FamilyName: "N"})
	}
	return org
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("u%04d", i))
	}
	return out
}

func members(t *testing.T, srv *workspacetest.Server, group string) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Org().Group(group).Members {
		out = append(out, m.ID)
	}
	slices.Sort(out)
	return out
}

func TestBatchesPerChangeSet(t *testing.T) {
	srv := workspacetest.NewServer(orgWithUsers(2500))
	t.Cleanup(srv.Close)
	tests := []struct {
		name        string
		batch       int
		add, remove []string
		want        []string
		wantBatches int64
	}{
		{"2500 adds", 1000, ids(0, 2500), nil, ids(0, 2500), 3},
		{"1001 removes", 1000, nil, ids(0, 1001), ids(1001, 2500), 2},
		{"1000 both ways", 1000, ids(0, 500), ids(2000, 2500), slices.Concat(ids(0, 500), ids(1001, 2000)), 1},
		{"one", 1000, nil, ids(1999, 2000), slices.Concat(ids(0, 500), ids(1001, 1999)), 1},
		{"7 by 3", 3, ids(1999, 2006), nil, slices.Concat(ids(0, 500), ids(1001, 2006)), 3},
	}
	for _, tt := range tests {
		tg := newTarget(t, srv, func(c *workspace.Config) { c.BatchSize = tt.batch })
		srv.ResetCounters()
		if err := tg.ModifyMembers(t.Context(), "g1", tt.add, tt.remove); err != nil {
			t.Fatalf("%s: ModifyMembers: %v", tt.name, err)
		}
		if got := srv.Requests(workspacetest.EndpointBatch); got != tt.wantBatches {
			t.Errorf("%s: %d batch requests, want %d", tt.name, got, tt.wantBatches)
		}
		if got, want := srv.Writes(), int64(len(tt.add)+len(tt.remove)); got != want {
			t.Errorf("%s: %d member writes, want %d", tt.name, got, want)
		}
		if diff := cmp.Diff(tt.want, members(t, srv, "g1")); diff != "" {
			t.Errorf("%s: members (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestMemberConflictsAreDone(t *testing.T) {
	srv := workspacetest.NewServer(orgWithUsers(4))
	t.Cleanup(srv.Close)
	if err := srv.AddMember("g1", workspacetest.Member{ID: "u0000"}); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, srv, nil)
	// u0000 is a member already (409), u0002 is not one (404).
	if err := tg.ModifyMembers(t.Context(), "g1", []string{"u0000", "u0001"}, []string{"u0002"}); err != nil {
		t.Fatalf("ModifyMembers: %v, want 409 and 404 taken as done", err)
	}
	if diff := cmp.Diff([]string{"u0000", "u0001"}, members(t, srv, "g1")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if err := tg.ModifyMembers(t.Context(), "nope@example.com", []string{"u0000"}, nil); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("ModifyMembers of a missing group: %v, want ErrNotFound", err)
	}
}

func TestMemberCallsRetriedOnTheirOwn(t *testing.T) {
	srv := workspacetest.NewServer(orgWithUsers(6))
	t.Cleanup(srv.Close)
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMemberInsert, Status: http.StatusServiceUnavailable, Times: 2})
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMemberDelete, Status: http.StatusForbidden, Times: 1})
	tg := newTarget(t, srv, nil)
	if err := tg.ModifyMembers(t.Context(), "g1", ids(0, 5), []string{"u0005"}); err != nil {
		t.Fatalf("ModifyMembers: %v", err)
	}
	if diff := cmp.Diff(ids(0, 5), members(t, srv, "g1")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if got := srv.Requests(workspacetest.EndpointBatch); got != 2 {
		t.Errorf("%d batch requests, want 2 (the failed calls again in one)", got)
	}

	// A call refused for good is an error; the others still land.
	srv.Inject(workspacetest.Fault{Endpoint: workspacetest.EndpointMemberInsert, Status: http.StatusBadRequest, Reason: "invalid", Times: 1})
	err := tg.ModifyMembers(t.Context(), "g1", []string{"u0005"}, []string{"u0000"})
	if err == nil {
		t.Fatal("ModifyMembers with a refused add: nil error, want it")
	}
	if diff := cmp.Diff(ids(1, 5), members(t, srv, "g1")); diff != "" {
		t.Errorf("members after a refused add (-want +got):\n%s", diff)
	}
}

func TestRenameFindsTheSameUser(t *testing.T) {
	srv := newServer(t)
	tg := newTarget(t, srv, nil)
	ctx := t.Context()
	u := model.User{ID: "src-1", Email: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace"}
	c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	renamed := u
	renamed.Email, renamed.FamilyName = "ada.king@example.com", "King"
	// The ownership record is lost: the renamed user is found by its
	// externalId, not created again.
	again, err := tg.CreateUser(ctx, renamed, target.CreateOptions{Active: true})
	if want := (target.Created{ID: c.ID, TakenOver: true}); err != nil || again != want {
		t.Fatalf("CreateUser(renamed) = %+v, %v; want %+v", again, err, want)
	}
	if err := tg.UpdateUser(ctx, c.ID, renamed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got := srv.Org().User(c.ID)
	if got.PrimaryEmail != "ada.king@example.com" || got.FamilyName != "King" || len(srv.Org().Users) != 2 {
		t.Errorf("after the rename: %+v and %d users, want ada.king@example.com, King, 2 users", got, len(srv.Org().Users))
	}
}

func TestTakeOverUnsuspends(t *testing.T) {
	srv := newServer(t)
	tg := newTarget(t, srv, nil)
	ctx := t.Context()
	u := model.User{ID: "src-1", Email: "bob@example.com"}
	c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := tg.DisableUser(ctx, c.ID); err != nil {
		t.Fatalf("DisableUser: %v", err)
	}
	if got := srv.Org().User(c.ID); got == nil || !got.Suspended {
		t.Fatalf("after DisableUser: %+v, want a suspended user, not deleted", got)
	}
	if _, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true}); err != nil {
		t.Fatalf("CreateUser again: %v", err)
	}
	if got := srv.Org().User(c.ID); got.Suspended {
		t.Errorf("user taken over with Active is still suspended")
	}
}

func TestForeignUserNeedsAdopt(t *testing.T) {
	org := orgWithUsers(0)
	org.Users = append(org.Users, &workspacetest.User{ID: "900", PrimaryEmail: "cy@example.com", GivenName: "Cy", FamilyName: "Own"})
	srv := workspacetest.NewServer(org)
	t.Cleanup(srv.Close)
	tg := newTarget(t, srv, nil)
	ctx := t.Context()
	u := model.User{ID: "src-cy", Email: "cy@example.com"}
	if _, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true}); !errors.Is(err, target.ErrConflict) {
		t.Fatalf("CreateUser over a user groupsync did not create: %v, want ErrConflict", err)
	}
	if got := srv.Org().User("900"); len(got.ExternalIDs) != 0 {
		t.Errorf("a refused user was changed: %+v", got)
	}
	c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true, Adopt: true})
	if want := (target.Created{ID: "900", Adopted: true}); err != nil || c != want {
		t.Fatalf("CreateUser with Adopt = %+v, %v; want %+v", c, err, want)
	}
	want := []workspacetest.ExternalID{{Type: "custom", CustomType: "groupsync", Value: "src-cy"}}
	if diff := cmp.Diff(want, srv.Org().User("900").ExternalIDs); diff != "" {
		t.Errorf("adopted user's externalIds (-want +got):\n%s", diff)
	}
}

func TestEmailTemplatesAndDomainMap(t *testing.T) {
	srv := newServer(t)
	tg := newTarget(t, srv, func(c *workspace.Config) {
		c.DomainMap = map[string]string{"Corp.Example": "example.com"}
		c.UserEmail = "{{.GivenName}}.{{.FamilyName}}@{{.Domain}}"
		c.GroupEmail = "team-{{.LocalPart}}@example.com"
		c.OrgUnit = "/Synced"
	})
	ctx := t.Context()
	c, err := tg.CreateUser(ctx, model.User{ID: "s1", Email: "ada@corp.example", GivenName: "Ada", FamilyName: "Lovelace"}, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got := srv.Org().User(c.ID); got.PrimaryEmail != "ada.lovelace@example.com" || got.OrgUnitPath != "/Synced" {
		t.Errorf("user %s in %s, want ada.lovelace@example.com in /Synced", got.PrimaryEmail, got.OrgUnitPath)
	}
	g, err := tg.CreateGroup(ctx, model.GroupInfo{ID: "sg", Email: "eng@corp.example", Name: "Eng"}, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if got := srv.Org().Group(g.ID); got.Email != "team-eng@example.com" || got.Name != "Eng" {
		t.Errorf("group %s %q, want team-eng@example.com \"Eng\"", got.Email, got.Name)
	}
	// An address outside the domains the mapping knows is refused by
	// Google, per user; the target says which.
	if _, err := tg.CreateUser(ctx, model.User{ID: "s2", Email: "x@elsewhere.example"}, target.CreateOptions{Active: true}); err == nil {
		t.Error("CreateUser in an unmapped foreign domain: nil error, want Google's refusal")
	}
}
