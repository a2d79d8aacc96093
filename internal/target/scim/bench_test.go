package scim_test

import (
	"fmt"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// BenchmarkModifyMembers1Percent changes 1% of a 1,000-member group per
// iteration and reports the PATCH requests each change costs.
func BenchmarkModifyMembers1Percent(b *testing.B) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(b, srv, 100)
	ctx := b.Context()
	ids := make([]string, 1010)
	for i := range ids {
		u := model.User{ID: fmt.Sprint(i), Email: fmt.Sprintf("u%d@example.com", i), GivenName: "U", FamilyName: fmt.Sprint(i)}
		c, err := tg.CreateUser(ctx, u, target.CreateOptions{Active: true})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	g, err := tg.CreateGroup(ctx, model.GroupInfo{ID: "g", Email: "g@example.com"}, target.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := tg.ModifyMembers(ctx, g.ID, ids[:1000], nil); err != nil {
		b.Fatal(err)
	}
	in, out := ids[:10], ids[1000:]
	start := srv.Patches(g.ID)
	b.ResetTimer()
	for b.Loop() {
		// Swap 10 members in and 10 out: 20 changes, one PATCH.
		if err := tg.ModifyMembers(ctx, g.ID, out, in); err != nil {
			b.Fatal(err)
		}
		in, out = out, in
	}
	b.ReportMetric(float64(srv.Patches(g.ID)-start)/float64(b.N), "patches/op")
}
