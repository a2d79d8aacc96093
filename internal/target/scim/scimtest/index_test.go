package scimtest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestUserNameUniquenessFollowsWrites: a userName is taken, compared
// case-insensitively, from the create that sets it until a rename, a PUT
// or a delete frees it.
func TestUserNameUniquenessFollowsWrites(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{t, srv}
	a := c.createUser("Alice@example.com", "")
	c.must(http.StatusConflict, http.MethodPost, "/Users", userBody("alice@EXAMPLE.com", ""))
	// The Kelvin sign folds to k.
	c.createUser("kim@example.com", "")
	c.must(http.StatusConflict, http.MethodPost, "/Users", userBody("\u212aim@example.com", ""))

	c.must(http.StatusOK, http.MethodPatch, "/Users/"+a, patchBody(map[string]any{"op": "replace", "path": "userName", "value": "bob@example.com"}))
	b := c.createUser("alice@example.com", "")
	c.must(http.StatusConflict, http.MethodPost, "/Users", userBody("BOB@example.com", ""))
	// A PATCH or PUT that keeps the user's own name is no conflict.
	c.must(http.StatusOK, http.MethodPatch, "/Users/"+a, patchBody(map[string]any{"op": "replace", "path": "userName", "value": "Bob@example.com"}))
	c.must(http.StatusConflict, http.MethodPut, "/Users/"+b, userBody("bob@example.com", ""))
	c.must(http.StatusOK, http.MethodPut, "/Users/"+b, userBody("carol@example.com", ""))
	c.createUser("alice@example.com", "")

	c.must(http.StatusNoContent, http.MethodDelete, "/Users/"+a, nil)
	c.createUser("bob@example.com", "")
}

// TestUserFiltersFollowWrites: eq filters on userName (case-insensitive),
// externalId and id, alone or with and, see every write.
func TestUserFiltersFollowWrites(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{t, srv}
	a := c.createUser("a@example.com", "src-a")
	b := c.createUser("b@example.com", "src-b")
	none := c.createUser("n@example.com", "")
	added := srv.AddUser(scimtest.User{UserName: "A@example.com", ExternalID: "src-x"}) // a duplicate name, unchecked
	c.must(http.StatusOK, http.MethodPatch, "/Users/"+b, patchBody(map[string]any{"op": "replace", "path": "externalId", "value": "src-b2"}))

	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "A@EXAMPLE.COM"`, sorted(a, added)},
		{`externalId eq "src-a"`, []string{a}},
		{`externalId eq "SRC-A"`, nil},
		{`externalId eq "src-b"`, nil},
		{`externalId eq "src-b2"`, []string{b}},
		{`externalId eq ""`, []string{none}},
		{`id eq "` + b + `"`, []string{b}},
		{`id eq "u-999"`, nil},
		{`userName eq "a@example.com" and externalId eq "src-x"`, []string{added}},
		{`externalId eq "" and userName eq "n@example.com"`, []string{none}},
		{`userName eq "b@example.com" and id eq "` + a + `"`, nil},
	} {
		if diff := cmp.Diff(tc.want, c.list("Users", tc.filter, 100)); diff != "" {
			t.Errorf("filter %s (-want +got):\n%s", tc.filter, diff)
		}
	}
	c.must(http.StatusNoContent, http.MethodDelete, "/Users/"+a, nil)
	if got := c.list("Users", `externalId eq "src-a"`, 100); got != nil {
		t.Errorf("filter on a deleted user's externalId = %v, want none", got)
	}
}

func sorted(ids ...string) []string {
	return slices.Sorted(slices.Values(ids))
}

// TestListingsPageInIDOrder: listings return objects in the order of their
// IDs as strings, page after page, as creates and deletes come and go.
func TestListingsPageInIDOrder(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{t, srv}
	var users, groups []string
	for i := range 25 {
		users = append(users, c.createUser(fmt.Sprintf("u%d@example.com", i), ""))
		groups = append(groups, c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": fmt.Sprintf("g%d", i)})["id"].(string))
		if i == 12 {
			// A listing between writes must not hide later ones.
			c.list("Users", "", 10)
			c.list("Groups", "", 10)
		}
	}
	c.must(http.StatusNoContent, http.MethodDelete, "/Users/"+users[3], nil)
	c.must(http.StatusNoContent, http.MethodDelete, "/Groups/"+groups[4], nil)
	users = slices.Delete(users, 3, 4)
	groups = slices.Delete(groups, 4, 5)
	if diff := cmp.Diff(sorted(users...), c.list("Users", "", 7)); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(groups...), c.list("Groups", "", 7)); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	out := c.must(http.StatusOK, http.MethodGet, "/Users?startIndex=30", nil)
	if got, res := out["totalResults"], out["Resources"].([]any); got != float64(len(users)) || len(res) != 0 {
		t.Errorf("page past the end: totalResults %v, %d resources; want %d and none", got, len(res), len(users))
	}
}

// TestGroupFiltersFollowWrites: eq filters on displayName
// (case-insensitive), externalId, id and members.value see every write.
func TestGroupFiltersFollowWrites(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{t, srv}
	u1 := c.createUser("u1@example.com", "")
	u2 := c.createUser("u2@example.com", "")
	g1 := c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "Eng", "externalId": "gs-1", "members": members(u1)})["id"].(string)
	g2 := c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "Ops", "members": members(u1, u2)})["id"].(string)
	c.must(http.StatusConflict, http.MethodPost, "/Groups", map[string]any{"displayName": "ENG"})
	c.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+g1, patchBody(
		map[string]any{"op": "replace", "path": "displayName", "value": "Engineering"},
		map[string]any{"op": "add", "path": "members", "value": members(u2)},
	))
	c.must(http.StatusNoContent, http.MethodDelete, "/Users/"+u1, nil)

	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`displayName eq "eng"`, nil},
		{`displayName eq "ENGINEERING"`, []string{g1}},
		{`externalId eq "gs-1"`, []string{g1}},
		{`externalId eq ""`, []string{g2}},
		{`members.value eq "` + u1 + `"`, nil},
		{`members.value eq "` + u2 + `"`, sorted(g1, g2)},
		{`id eq "` + g2 + `" and members.value eq "` + u2 + `"`, []string{g2}},
		{`members.value eq "` + u2 + `" and displayName eq "ops"`, []string{g2}},
	} {
		if diff := cmp.Diff(tc.want, c.list("Groups", tc.filter, 100)); diff != "" {
			t.Errorf("filter %s (-want +got):\n%s", tc.filter, diff)
		}
	}
	// The old name is free again.
	c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "eng"})
}

// TestGroupMembersKeepTheirOrder: a group GET lists members in the order
// they were added, through removals (enough to compact the member set) and
// re-adds.
func TestGroupMembersKeepTheirOrder(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{MembersInGet: true})
	defer srv.Close()
	c := client{t, srv}
	var ids []string
	for i := range 60 {
		ids = append(ids, c.createUser(fmt.Sprintf("u%d@example.com", i), ""))
	}
	g := c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "g", "members": members(ids[:50]...)})["id"].(string)
	c.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+g, patchBody(
		map[string]any{"op": "remove", "path": "members", "value": members(ids[:40]...)},
		map[string]any{"op": "add", "path": "members", "value": members(ids[50], ids[3], ids[45])},
		map[string]any{"op": "remove", "path": `members[value eq "` + ids[41] + `"]`},
	))
	want := slices.Concat([]string{ids[40]}, ids[42:50], []string{ids[50], ids[3]})
	var got []string
	for _, m := range c.must(http.StatusOK, http.MethodGet, "/Groups/"+g, nil)["members"].([]any) {
		got = append(got, m.(map[string]any)["value"].(string))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(want...), srv.Members(g)); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
}

// TestFailedGroupPatchChangesNothing: a PATCH whose last operation fails
// leaves the members, the name and the version as they were.
func TestFailedGroupPatchChangesNothing(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{ETag: true, RejectMissingRemove: true})
	defer srv.Close()
	c := client{t, srv}
	u1 := c.createUser("u1@example.com", "")
	u2 := c.createUser("u2@example.com", "")
	g := c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "g", "members": members(u1)})["id"].(string)
	before, _ := srv.Group(g)
	version := c.must(http.StatusOK, http.MethodGet, "/Groups/"+g, nil)["meta"]
	for _, ops := range [][]map[string]any{
		{
			{"op": "add", "path": "members", "value": members(u2)},
			{"op": "remove", "path": "members", "value": members(u1)},
			{"op": "replace", "path": "displayName", "value": "h"},
			{"op": "remove", "path": "members", "value": members(u1)}, // no longer a member
		},
		{
			{"op": "remove", "path": "members", "value": members(u1)},
			{"op": "add", "path": "members", "value": members("u-999")},
		},
	} {
		c.must(http.StatusBadRequest, http.MethodPatch, "/Groups/"+g, patchBody(ops...))
	}
	after, _ := srv.Group(g)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("group after failed PATCHes (-before +after):\n%s", diff)
	}
	if got := c.must(http.StatusOK, http.MethodGet, "/Groups/"+g, nil)["meta"]; !cmp.Equal(got, version) {
		t.Errorf("meta after failed PATCHes = %v, want %v", got, version)
	}
	c.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "h"})
}

// TestDanglingMembersFailPatches: a group that AddGroup stored with a
// member that is not a user fails every PATCH, as a stored group with a
// bad member always has.
func TestDanglingMembersFailPatches(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{t, srv}
	u := c.createUser("u@example.com", "")
	g := srv.AddGroup(scimtest.Group{DisplayName: "g", Members: []string{"nobody"}})
	_, out := c.do(http.MethodPatch, "/Groups/"+g, patchBody(map[string]any{"op": "add", "path": "members", "value": members(u)}))
	if d, _ := out["detail"].(string); !strings.Contains(d, `"nobody" is not a user`) {
		t.Errorf("PATCH of a group with a dangling member: %v, want it refused for that member", out)
	}
	c.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+g, patchBody(map[string]any{"op": "remove", "path": "members", "value": members("nobody")}))
	c.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+g, patchBody(map[string]any{"op": "add", "path": "members", "value": members(u)}))
}
