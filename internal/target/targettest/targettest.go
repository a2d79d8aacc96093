// Package targettest is the conformance suite that every engine.Target
// passes: creating users and groups, adopting versus refusing existing
// ones, renames that keep the target ID, disabling, deleting and batched,
// idempotent membership changes. A target's tests call Run with a Harness
// that builds the target against a server and reads that server's state
// back without going through the target.
package targettest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// User is a user as the server stores it.
type User struct {
	ID         string
	UserName   string
	ExternalID string
	Active     bool
}

// Group is a group as the server stores it.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
	// Members are target user IDs, in any order.
	Members []string
}

// State reads a server's state without going through the target.
type State interface {
	// User returns a user; the error wraps target.ErrNotFound if none.
	User(ctx context.Context, id string) (User, error)
	// Group returns a group with its members; the error wraps
	// target.ErrNotFound if none.
	Group(ctx context.Context, id string) (Group, error)
}

// Harness builds targets for the suite.
type Harness struct {
	// New returns a target that sends at most batchSize member changes in
	// one request, and a reader of its server. Servers may be shared
	// between calls: the suite names every object uniquely per subtest.
	New func(t *testing.T, batchSize int) (engine.Target, State)
	// GroupsWithoutExternalID says that the target cannot mark a group
	// with its source ID (Google Workspace groups have no externalIds), so
	// a group left behind by a crash is a name clash like any other.
	GroupsWithoutExternalID bool
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"CreateUser", testCreateUser},
		{"CreateUserDisabled", testCreateUserDisabled},
		{"CreateUserAdoptOrConflict", testCreateUserAdoptOrConflict},
		{"RenameKeepsID", testRenameKeepsID},
		{"UpdateUserSuspended", testUpdateUserSuspended},
		{"UpdateMissingUser", testUpdateMissingUser},
		{"DisableUser", testDisableUser},
		{"DeleteUser", testDeleteUser},
		{"CreateGroup", testCreateGroup},
		{"CreateGroupAdoptOrConflict", testCreateGroupAdoptOrConflict},
		{"TakeOverAfterCrash", testTakeOverAfterCrash},
		{"UpdateGroup", testUpdateGroup},
		{"ModifyMembersBatches", testModifyMembersBatches},
		{"ModifyMembersIdempotent", testModifyMembersIdempotent},
		{"ModifyMembersNothing", testModifyMembersNothing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// name returns a name unique to the running subtest.
func name(t *testing.T, s string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-") + "-" + s
}

func newUser(t *testing.T, local string) model.User {
	n := name(t, local)
	return model.User{
		ID:          "src-" + n,
		Email:       n + "@example.com",
		GivenName:   "Given " + local,
		FamilyName:  "Family " + local,
		DisplayName: "Given " + local + " Family " + local,
	}
}

func newGroup(t *testing.T, local string) model.GroupInfo {
	n := name(t, local)
	return model.GroupInfo{ID: "src-" + n, Email: n + "@example.com", Name: "Group " + local}
}

func mustCreateUser(t *testing.T, ctx context.Context, tg engine.Target, u model.User) string {
	t.Helper()
	c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Email, err)
	}
	if c.ID == "" || c.Adopted {
		t.Fatalf("CreateUser(%s) = %+v, want a new ID, not adopted", u.Email, c)
	}
	return c.ID
}

func mustUser(t *testing.T, ctx context.Context, st State, id string) User {
	t.Helper()
	u, err := st.User(ctx, id)
	if err != nil {
		t.Fatalf("server user %s: %v", id, err)
	}
	return u
}

func mustGroup(t *testing.T, ctx context.Context, st State, id string) Group {
	t.Helper()
	g, err := st.Group(ctx, id)
	if err != nil {
		t.Fatalf("server group %s: %v", id, err)
	}
	return g
}

func testCreateUser(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "alice")
	id := mustCreateUser(t, ctx, tg, u)
	got := mustUser(t, ctx, st, id)
	want := User{ID: id, UserName: u.Email, ExternalID: u.ID, Active: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server user after CreateUser (-want +got):\n%s", diff)
	}
}

func testCreateUserDisabled(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "bob")
	// A user with no names: strict servers require them, so the target
	// must fill them in.
	u.GivenName, u.FamilyName, u.DisplayName = "", "", ""
	c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: false})
	if err != nil {
		t.Fatalf("CreateUser(create_as_disabled): %v", err)
	}
	if got := mustUser(t, ctx, st, c.ID); got.Active {
		t.Errorf("server user active = true after CreateUser with Active false, want false")
	}
}

func testCreateUserAdoptOrConflict(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "carol")
	id := mustCreateUser(t, ctx, tg, u)

	// Another source user with the same email is a name clash.
	clash := u
	clash.ID = u.ID + "-other"
	_, err := tg.CreateUser(ctx, clash, target.CreateOptions{Active: true})
	if !errors.Is(err, target.ErrConflict) {
		t.Errorf("CreateUser of an existing user without Adopt: err = %v, want ErrConflict", err)
	}
	// The same clash with its email in another case: userName is
	// case-insensitive.
	upper := clash
	upper.Email = strings.ToUpper(u.Email)
	c, err := tg.CreateUser(ctx, upper, target.CreateOptions{Active: true, Adopt: true})
	if err != nil {
		t.Fatalf("CreateUser with Adopt: %v", err)
	}
	if want := (target.Created{ID: id, Adopted: true}); c != want {
		t.Errorf("CreateUser with Adopt = %+v, want %+v", c, want)
	}
	if got := mustUser(t, ctx, st, id); !strings.EqualFold(got.UserName, u.Email) {
		t.Errorf("server userName = %q, want %q", got.UserName, u.Email)
	}
}

func testRenameKeepsID(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "dave")
	id := mustCreateUser(t, ctx, tg, u)
	renamed := u
	renamed.Email = name(t, "david") + "@example.com"
	renamed.GivenName = "David"
	if err := tg.UpdateUser(ctx, id, renamed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got := mustUser(t, ctx, st, id)
	want := User{ID: id, UserName: renamed.Email, ExternalID: u.ID, Active: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server user after rename (-want +got):\n%s", diff)
	}
	// The renamed user is found again, not duplicated.
	c, err := tg.CreateUser(ctx, renamed, target.CreateOptions{Active: true, Adopt: true})
	if err != nil || c.ID != id {
		t.Errorf("CreateUser(renamed, Adopt) = %+v, %v; want ID %s", c, err, id)
	}
}

func testUpdateUserSuspended(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "erin")
	id := mustCreateUser(t, ctx, tg, u)
	for _, suspended := range []bool{true, false} {
		u.Suspended = suspended
		if err := tg.UpdateUser(ctx, id, u); err != nil {
			t.Fatalf("UpdateUser(Suspended=%v): %v", suspended, err)
		}
		if got := mustUser(t, ctx, st, id); got.Active != !suspended {
			t.Errorf("after UpdateUser(Suspended=%v): active = %v, want %v", suspended, got.Active, !suspended)
		}
	}
}

func testUpdateMissingUser(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, _ := h.New(t, 100)
	u := newUser(t, "frank")
	id := mustCreateUser(t, ctx, tg, u)
	if err := tg.DeleteUser(ctx, id); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if err := tg.UpdateUser(ctx, id, u); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("UpdateUser of a deleted user: err = %v, want ErrNotFound", err)
	}
	if err := tg.DisableUser(ctx, id); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("DisableUser of a deleted user: err = %v, want ErrNotFound", err)
	}
}

func testDisableUser(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "grace")
	id := mustCreateUser(t, ctx, tg, u)
	for range 2 { // disabling twice is fine
		if err := tg.DisableUser(ctx, id); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
	}
	got := mustUser(t, ctx, st, id)
	want := User{ID: id, UserName: u.Email, ExternalID: u.ID, Active: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server user after DisableUser (-want +got):\n%s", diff)
	}
}

func testDeleteUser(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	u := newUser(t, "heidi")
	id := mustCreateUser(t, ctx, tg, u)
	if err := tg.DeleteUser(ctx, id); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := st.User(ctx, id); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("server user after DeleteUser: err = %v, want ErrNotFound", err)
	}
	if err := tg.DeleteUser(ctx, id); err != nil {
		t.Errorf("DeleteUser of a deleted user: %v, want nil", err)
	}
	// The userName is free again.
	if c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true}); err != nil || c.ID == id {
		t.Errorf("CreateUser after DeleteUser = %+v, %v; want a new user", c, err)
	}
}

func testCreateGroup(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	g := newGroup(t, "eng")
	c, err := tg.CreateGroup(ctx, g, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if c.ID == "" || c.Adopted {
		t.Fatalf("CreateGroup = %+v, want a new ID, not adopted", c)
	}
	got := mustGroup(t, ctx, st, c.ID)
	want := Group{ID: c.ID, DisplayName: g.Email, ExternalID: g.ID}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) })); diff != "" {
		t.Errorf("server group after CreateGroup (-want +got):\n%s", diff)
	}
}

func testCreateGroupAdoptOrConflict(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, _ := h.New(t, 100)
	g := newGroup(t, "ops")
	c, err := tg.CreateGroup(ctx, g, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	// Another source group with the same email is a name clash.
	clash := g
	clash.ID = g.ID + "-other"
	if _, err := tg.CreateGroup(ctx, clash, target.CreateOptions{Active: true}); !errors.Is(err, target.ErrConflict) {
		t.Errorf("CreateGroup of an existing group without Adopt: err = %v, want ErrConflict", err)
	}
	got, err := tg.CreateGroup(ctx, clash, target.CreateOptions{Active: true, Adopt: true})
	if err != nil {
		t.Fatalf("CreateGroup with Adopt: %v", err)
	}
	if want := (target.Created{ID: c.ID, Adopted: true}); got != want {
		t.Errorf("CreateGroup with Adopt = %+v, want %+v", got, want)
	}
}

func testUpdateGroup(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	g := newGroup(t, "sales")
	c, err := tg.CreateGroup(ctx, g, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	u := mustCreateUser(t, ctx, tg, newUser(t, "ivan"))
	if err := tg.ModifyMembers(ctx, c.ID, []string{u}, nil); err != nil {
		t.Fatalf("ModifyMembers: %v", err)
	}
	renamed := g
	renamed.Email = name(t, "revenue") + "@example.com"
	if err := tg.UpdateGroup(ctx, c.ID, renamed); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	got := mustGroup(t, ctx, st, c.ID)
	want := Group{ID: c.ID, DisplayName: renamed.Email, ExternalID: g.ID, Members: []string{u}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server group after UpdateGroup (-want +got):\n%s", diff)
	}
}

// members creates n users and returns their target IDs.
func members(t *testing.T, ctx context.Context, tg engine.Target, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = mustCreateUser(t, ctx, tg, newUser(t, fmt.Sprintf("m%03d", i)))
	}
	return ids
}

func checkMembers(t *testing.T, ctx context.Context, st State, gid, step string, want []string) {
	t.Helper()
	got := mustGroup(t, ctx, st, gid).Members
	if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got)), cmp.Comparer(func(a, b []string) bool {
		return len(a) == 0 && len(b) == 0 || slices.Equal(a, b)
	})); diff != "" {
		t.Errorf("members after %s (-want +got):\n%s", step, diff)
	}
}

func testModifyMembersBatches(t *testing.T, h Harness) {
	ctx := t.Context()
	const batch = 4
	tg, st := h.New(t, batch)
	c, err := tg.CreateGroup(ctx, newGroup(t, "big"), target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	ids := members(t, ctx, tg, 2*batch+3)
	if err := tg.ModifyMembers(ctx, c.ID, ids, nil); err != nil {
		t.Fatalf("ModifyMembers(add %d): %v", len(ids), err)
	}
	checkMembers(t, ctx, st, c.ID, "adding all", ids)

	remove := ids[:batch+2]
	if err := tg.ModifyMembers(ctx, c.ID, nil, remove); err != nil {
		t.Fatalf("ModifyMembers(remove %d): %v", len(remove), err)
	}
	checkMembers(t, ctx, st, c.ID, "removing some", ids[batch+2:])

	// Both ways in one call.
	if err := tg.ModifyMembers(ctx, c.ID, ids[:2], ids[batch+2:batch+4]); err != nil {
		t.Fatalf("ModifyMembers(add 2, remove 2): %v", err)
	}
	checkMembers(t, ctx, st, c.ID, "adding and removing", slices.Concat(ids[:2], ids[batch+4:]))
}

func testModifyMembersIdempotent(t *testing.T, h Harness) {
	ctx := t.Context()
	const batch = 3
	tg, st := h.New(t, batch)
	c, err := tg.CreateGroup(ctx, newGroup(t, "idem"), target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	ids := members(t, ctx, tg, 2*batch+1)
	in, out := ids[:batch+1], ids[batch+1:]
	if err := tg.ModifyMembers(ctx, c.ID, in, nil); err != nil {
		t.Fatalf("ModifyMembers(add): %v", err)
	}
	// Re-adding members, some new, and removing non-members, some real.
	if err := tg.ModifyMembers(ctx, c.ID, slices.Concat(in, out[:1]), nil); err != nil {
		t.Fatalf("ModifyMembers(re-add): %v", err)
	}
	checkMembers(t, ctx, st, c.ID, "re-adding", slices.Concat(in, out[:1]))
	if err := tg.ModifyMembers(ctx, c.ID, nil, slices.Concat(out, in[:1])); err != nil {
		t.Fatalf("ModifyMembers(remove non-members): %v", err)
	}
	checkMembers(t, ctx, st, c.ID, "removing non-members", in[1:])
	if err := tg.ModifyMembers(ctx, c.ID, nil, out); err != nil {
		t.Fatalf("ModifyMembers(remove only non-members): %v", err)
	}
	checkMembers(t, ctx, st, c.ID, "removing only non-members", in[1:])
}

func testModifyMembersNothing(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, st := h.New(t, 100)
	c, err := tg.CreateGroup(ctx, newGroup(t, "none"), target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if err := tg.ModifyMembers(ctx, c.ID, nil, nil); err != nil {
		t.Fatalf("ModifyMembers(nothing): %v", err)
	}
	checkMembers(t, ctx, st, c.ID, "no change", nil)
}

// testTakeOverAfterCrash: a create whose answer was lost (a crash before
// ownership was recorded) left an object that carries the source ID. The
// next create takes it over as groupsync's own, with or without Adopt, and
// never creates a second one.
func testTakeOverAfterCrash(t *testing.T, h Harness) {
	ctx := t.Context()
	tg, _ := h.New(t, 100)
	u := newUser(t, "erin")
	uid := mustCreateUser(t, ctx, tg, u)
	for _, adopt := range []bool{false, true} {
		c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true, Adopt: adopt})
		if want := (target.Created{ID: uid, TakenOver: true}); err != nil || c != want {
			t.Errorf("CreateUser again (Adopt %v) = %+v, %v; want %+v", adopt, c, err, want)
		}
	}
	g := newGroup(t, "infra")
	first, err := tg.CreateGroup(ctx, g, target.CreateOptions{Active: true})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	for _, adopt := range []bool{false, true} {
		c, err := tg.CreateGroup(ctx, g, target.CreateOptions{Active: true, Adopt: adopt})
		switch {
		case h.GroupsWithoutExternalID && adopt:
			if want := (target.Created{ID: first.ID, Adopted: true}); err != nil || c != want {
				t.Errorf("CreateGroup again (Adopt) = %+v, %v; want %+v", c, err, want)
			}
		case h.GroupsWithoutExternalID:
			if !errors.Is(err, target.ErrConflict) {
				t.Errorf("CreateGroup again without Adopt: err = %v, want ErrConflict", err)
			}
		default:
			if want := (target.Created{ID: first.ID, TakenOver: true}); err != nil || c != want {
				t.Errorf("CreateGroup again (Adopt %v) = %+v, %v; want %+v", adopt, c, err, want)
			}
		}
	}
}
