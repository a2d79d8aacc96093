// Package sourcetest is the conformance suite every source passes: it
// lists groups and users, reads members, checks that an unreadable member
// makes a group incomplete without losing the others, and that IDs are
// stable across reads and renames.
package sourcetest

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
)

// Source is what the suite reads (the engine's Source).
type Source interface {
	ListGroups(ctx context.Context) ([]model.GroupInfo, error)
	ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error)
	ListUsers(ctx context.Context) ([]model.User, error)
}

// Fixture describes a directory the source reads.
type Fixture struct {
	Source Source
	// Group is the email of a readable group and Members its flattened
	// user members' emails.
	Group   string
	Members []string
	// Broken is the email of a group the source cannot read completely
	// (a missing member, a failing page), and Keeps the members it must
	// still return.
	Broken string
	Keeps  []string
	// Rename, when set, changes the email (and whatever else the directory
	// changes with it: a DN, a primary address) of the user with email
	// from, and returns the new email.
	Rename func(t *testing.T, from string) string
	// Reset drops the source's caches; nil when it has none.
	Reset func()
}

// Run runs the suite.
func Run(t *testing.T, f Fixture) {
	groups := listGroups(t, f.Source)
	g, ok := find(groups, f.Group)
	if !ok {
		t.Fatalf("ListGroups: no %s", f.Group)
	}
	broken, ok := find(groups, f.Broken)
	if !ok {
		t.Fatalf("ListGroups: no %s", f.Broken)
	}
	users := listUsers(t, f.Source)

	t.Run("members", func(t *testing.T) {
		m := read(t, f.Source, g)
		if m.Incomplete {
			t.Errorf("ReadMembers(%s): incomplete %q, want complete", f.Group, m.Problems)
		}
		if diff := cmp.Diff(sorted(f.Members), emails(m)); diff != "" {
			t.Errorf("ReadMembers(%s) (-want +got):\n%s", f.Group, diff)
		}
		for _, mem := range m.Members {
			if u, ok := users[mem.ID]; !ok || model.NormalizeEmail(u.Email) != model.NormalizeEmail(mem.Email) {
				t.Errorf("member %s (%s) is not the user ListUsers has: %+v", mem.ID, mem.Email, u)
			}
		}
	})
	t.Run("incomplete keeps members", func(t *testing.T) {
		m := read(t, f.Source, broken)
		if !m.Incomplete || len(m.Problems) == 0 {
			t.Errorf("ReadMembers(%s): Incomplete %v, problems %q; want incomplete with a reason", f.Broken, m.Incomplete, m.Problems)
		}
		got := emails(m)
		for _, k := range f.Keeps {
			if !slices.Contains(got, model.NormalizeEmail(k)) {
				t.Errorf("ReadMembers(%s): lost %s; got %q", f.Broken, k, got)
			}
		}
	})
	t.Run("stable IDs", func(t *testing.T) {
		first := read(t, f.Source, g).MemberIDs()
		if f.Reset != nil {
			f.Reset()
		}
		if diff := cmp.Diff(ids(groups), ids(listGroups(t, f.Source))); diff != "" {
			t.Errorf("group IDs changed between listings (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(first, read(t, f.Source, g).MemberIDs()); diff != "" {
			t.Errorf("member IDs changed between reads (-first +second):\n%s", diff)
		}
		if f.Rename == nil {
			return
		}
		from := f.Members[0]
		var id string
		for _, u := range users {
			if model.NormalizeEmail(u.Email) == model.NormalizeEmail(from) {
				id = u.ID
			}
		}
		to := f.Rename(t, from)
		if f.Reset != nil {
			f.Reset()
		}
		after := listUsers(t, f.Source)
		if u, ok := after[id]; !ok || model.NormalizeEmail(u.Email) != model.NormalizeEmail(to) {
			t.Errorf("after renaming %s to %s: user %s is %+v, want the same ID with the new email", from, to, id, u)
		}
		g2, _ := find(listGroups(t, f.Source), f.Group)
		if diff := cmp.Diff(first, read(t, f.Source, g2).MemberIDs()); diff != "" {
			t.Errorf("member IDs changed with a rename (-before +after):\n%s", diff)
		}
	})
}

func listGroups(t *testing.T, s Source) []model.GroupInfo {
	t.Helper()
	groups, err := s.ListGroups(context.Background())
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if g.ID == "" || seen[g.ID] {
			t.Errorf("ListGroups: group %s has an empty or repeated ID %q", g.Email, g.ID)
		}
		seen[g.ID] = true
	}
	return groups
}

func listUsers(t *testing.T, s Source) map[string]model.User {
	t.Helper()
	users, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	out := map[string]model.User{}
	for _, u := range users {
		if u.ID == "" || out[u.ID].ID != "" {
			t.Errorf("ListUsers: user %s has an empty or repeated ID %q", u.Email, u.ID)
		}
		out[u.ID] = u
	}
	return out
}

func read(t *testing.T, s Source, g model.GroupInfo) model.Membership {
	t.Helper()
	m, err := s.ReadMembers(context.Background(), g, model.MemberOptions{})
	if err != nil {
		t.Fatalf("ReadMembers(%s): %v", g.Email, err)
	}
	return m
}

func find(groups []model.GroupInfo, email string) (model.GroupInfo, bool) {
	for _, g := range groups {
		if model.NormalizeEmail(g.Email) == model.NormalizeEmail(email) {
			return g, true
		}
	}
	return model.GroupInfo{}, false
}

func ids(groups []model.GroupInfo) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.ID)
	}
	sort.Strings(out)
	return out
}

func emails(m model.Membership) []string {
	out := make([]string, 0, len(m.Members))
	for _, mem := range m.Members {
		out = append(out, model.NormalizeEmail(mem.Email))
	}
	sort.Strings(out)
	return out
}

func sorted(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = model.NormalizeEmail(s)
	}
	sort.Strings(out)
	return out
}
