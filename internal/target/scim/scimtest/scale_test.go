package scimtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// The benchmarks here show that the fake keeps up with the benchmarks of
// whole syncs (100,000 users, 10,000 groups, 1.4 million memberships):
// each reports its cost per object, which stays flat as the size grows
// where a scan per request would grow with it.

// BenchmarkCreateUsers creates users one POST each, then lists them all
// in pages of 100.
func BenchmarkCreateUsers(b *testing.B) {
	for _, n := range []int{2_000, 20_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				srv := scimtest.NewServer(scimtest.Options{})
				c := client{b, srv}
				for i := range n {
					c.createUser(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("src-%d", i))
				}
				if got := len(c.list("Users", "", 100)); got != n {
					b.Fatalf("listed %d users, want %d", got, n)
				}
				srv.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/user")
		})
	}
}

// BenchmarkPatchLargeGroup sends PATCHes of 100 member changes to a group,
// adding 100 users and removing them again in turn.
func BenchmarkPatchLargeGroup(b *testing.B) {
	for _, size := range []int{500, 50_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			srv := scimtest.NewServer(scimtest.Options{})
			defer srv.Close()
			c := client{b, srv}
			ids := addUsers(srv, size+100)
			g := srv.AddGroup(scimtest.Group{DisplayName: "big", Members: ids[:size]})
			spare := members(ids[size:]...)
			op := "add"
			for b.Loop() {
				c.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+g, patchBody(map[string]any{"op": op, "path": "members", "value": spare}))
				op = map[string]string{"add": "remove", "remove": "add"}[op]
			}
		})
	}
}

// BenchmarkListAtScale lists every user and every group, in pages of 100,
// and looks one user and one group up by filter, at the size of the
// largest sync benchmark.
func BenchmarkListAtScale(b *testing.B) {
	const users, groups, perGroup = 100_000, 10_000, 140
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	c := client{b, srv}
	ids := addUsers(srv, users)
	for i := range groups {
		ms := make([]string, perGroup)
		for j := range ms {
			ms[j] = ids[(i*perGroup+j*97)%users]
		}
		srv.AddGroup(scimtest.Group{DisplayName: fmt.Sprintf("group%d@example.com", i), ExternalID: fmt.Sprintf("gsrc-%d", i), Members: ms})
	}
	for b.Loop() {
		if got := len(c.list("Users", "", 100)); got != users {
			b.Fatalf("listed %d users, want %d", got, users)
		}
		if got := len(c.list("Groups", "", 100)); got != groups {
			b.Fatalf("listed %d groups, want %d", got, groups)
		}
		if got := c.list("Users", `userName eq "USER77@example.com"`, 100); len(got) != 1 {
			b.Fatalf("userName filter found %v, want one user", got)
		}
		if got := c.list("Groups", `externalId eq "gsrc-77"`, 100); len(got) != 1 {
			b.Fatalf("externalId filter found %v, want one group", got)
		}
	}
}

// addUsers stores n users directly, without a request each.
func addUsers(srv *scimtest.Server, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = srv.AddUser(scimtest.User{
			UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("src-%d", i),
			DisplayName: "U", GivenName: "U", FamilyName: fmt.Sprint(i), Active: true,
		})
	}
	return ids
}
