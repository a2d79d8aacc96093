package scim_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestFailedWritesAreNotConfirmedByEmptyAnswers is issue 10's strict
// server: every group PATCH answers 503 and members.value filters answer
// 200 with no results. Neither a removal nor an addition may pass for done
// until a write goes through.
func TestFailedWritesAreNotConfirmedByEmptyAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts scimtest.Options
	}{
		{name: "GET without members", opts: scimtest.Unreliable()},
		{name: "GET with members", opts: func() scimtest.Options {
			o := scimtest.Unreliable()
			o.MembersInGet = true
			return o
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := scimtest.NewServer(tc.opts)
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			ids := createUsers(t, tg, 3)
			gid := createGroup(t, tg)
			srv.SetGroupPatchStatus(0)
			if err := tg.ModifyMembers(t.Context(), gid, ids[:2], nil); err != nil {
				t.Fatalf("seeding members: %v", err)
			}
			srv.SetGroupPatchStatus(http.StatusServiceUnavailable)

			// A removal alone: the empty filter answer once passed for proof.
			if err := tg.ModifyMembers(t.Context(), gid, nil, ids[:1]); err == nil {
				t.Error("a removal succeeded while every group PATCH fails")
			}
			if err := tg.ModifyMembers(t.Context(), gid, ids[2:], nil); err == nil {
				t.Error("an addition succeeded while every group PATCH fails")
			}
			if diff := cmp.Diff(sorted(ids[:2]), srv.Members(gid)); diff != "" {
				t.Fatalf("members changed under the fault (-want +got):\n%s", diff)
			}

			srv.SetGroupPatchStatus(0)
			if err := tg.ModifyMembers(t.Context(), gid, ids[2:], ids[:1]); err != nil {
				t.Fatalf("ModifyMembers after the fault cleared: %v", err)
			}
			if diff := cmp.Diff(sorted(ids[1:]), srv.Members(gid)); diff != "" {
				t.Errorf("members after the fault cleared (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFailedWriteConfirmedByMembersInGet: when the group GET lists members,
// a change that did take effect before its answer was lost counts as done.
func TestFailedWriteConfirmedByMembersInGet(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{MembersInGet: true})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 2)
	gid := createGroup(t, tg)
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Fatal(err)
	}
	// Re-adding answers 500 on every try; the GET shows both are members.
	srv.Fail("PATCH", 100, http.StatusInternalServerError, "")
	if err := tg.ModifyMembers(t.Context(), gid, ids, nil); err != nil {
		t.Errorf("re-adding members the GET shows: %v", err)
	}
}

// TestPutNeverBuiltFromUnreadMembers: without PATCH, a group whose GET
// omits members must not be rewritten with PUT (it would drop everyone
// else); the change fails and the group is untouched.
func TestPutNeverBuiltFromUnreadMembers(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{NoPatch: true, HideMembers: true})
	defer srv.Close()
	other := srv.AddUser(scimtest.User{UserName: "other@example.com", GivenName: "O", FamilyName: "T", Active: true})
	tg := newTarget(t, srv, 100)
	ids := createUsers(t, tg, 1)
	gid := srv.AddGroup(scimtest.Group{DisplayName: "eng@example.com", Members: []string{other}})
	err := tg.ModifyMembers(t.Context(), gid, ids, nil)
	if err == nil {
		t.Fatal("ModifyMembers rewrote a group whose members it could not read")
	}
	if got := tg.Stats().Requests["PUT"]; got != 0 {
		t.Errorf("PUT requests = %d, want 0", got)
	}
	if diff := cmp.Diff([]string{other}, srv.Members(gid)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func sorted(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
