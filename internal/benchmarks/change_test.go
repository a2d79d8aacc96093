package benchmarks

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// change makes about pct% of the directory's memberships change, as many
// removals as additions, in random groups of at least ten members (so no
// group loses more than its deletion limit), and renames one member. It
// returns the number of membership changes.
func change(tb testing.TB, srv *workspacetest.Server, rng *rand.Rand, pct float64, round int) int {
	tb.Helper()
	org := srv.Org()
	users := make([]string, 0, len(org.Users))
	known := make(map[string]bool, len(org.Users))
	for _, u := range org.Users {
		users = append(users, u.ID)
		known[u.ID] = true
	}
	type group struct {
		email   string
		members map[string]bool // directory users only
	}
	var eligible []*group
	total := 0
	for _, g := range org.Groups {
		if strings.EqualFold(g.Email, "all-staff@example.com") {
			continue
		}
		grp := &group{email: g.Email, members: map[string]bool{}}
		for _, m := range g.Members {
			if m.Type == workspacetest.TypeUser && known[m.ID] {
				grp.members[m.ID] = true
			}
		}
		total += len(grp.members)
		if len(grp.members) >= 10 {
			eligible = append(eligible, grp)
		}
	}
	if len(eligible) == 0 {
		tb.Fatal("no group of at least 10 members to change")
	}
	n := max(2, int(float64(total)*pct/100))
	for i := range n {
		g := eligible[rng.IntN(len(eligible))]
		if i%2 == 0 {
			id := pick(rng, g.members)
			if err := srv.RemoveMember(g.email, id); err != nil {
				tb.Fatal(err)
			}
			delete(g.members, id)
			continue
		}
		id := users[rng.IntN(len(users))]
		for g.members[id] {
			id = users[rng.IntN(len(users))]
		}
		if err := srv.AddMember(g.email, workspacetest.Member{ID: id, Type: workspacetest.TypeUser}); err != nil {
			tb.Fatal(err)
		}
		g.members[id] = true
	}

	g := eligible[rng.IntN(len(eligible))]
	id := pick(rng, g.members)
	if err := srv.RenameUser(id, fmt.Sprintf("renamed%d.%s@example.com", round, id)); err != nil {
		tb.Fatal(err)
	}
	return n
}

// pick returns a random member of a non-empty set, the same for the same
// random state, so that every run of the benchmarks makes the same change.
func pick(rng *rand.Rand, set map[string]bool) string {
	ids := slices.Sorted(maps.Keys(set))
	return ids[rng.IntN(len(ids))]
}
