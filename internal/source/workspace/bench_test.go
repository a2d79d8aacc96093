package workspace_test

import (
	"context"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// BenchmarkFullRead reads a 10,000-user, 500-group organisation from the
// fake over HTTP: list groups, read every group with 8 workers, list
// users. Each iteration is a fresh Source (a new run, cold cache). Pacing
// is effectively off so that the benchmark measures the client.
func BenchmarkFullRead(b *testing.B) {
	org := workspacetest.Generate(1, 10000, 500)
	srv := workspacetest.NewServer(org)
	defer srv.Close()
	ctx := context.Background()

	var calls, members int64
	var incomplete int
	for b.Loop() {
		s := newSource(b, srv, func(c *workspace.Config) { c.QPM = 1 << 30 })
		groups, err := s.ListGroups(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got := readAll(b, s, groups, model.MemberOptions{})
		if _, err := s.ListUsers(ctx); err != nil {
			b.Fatal(err)
		}
		for _, m := range got {
			members += int64(len(m.Members))
			if m.Incomplete {
				incomplete++
			}
		}
		calls += s.Calls()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(members)/float64(b.N), "members/op")
	b.ReportMetric(float64(incomplete)/float64(b.N), "incomplete/op")
	b.ReportMetric(float64(len(org.Groups)), "groups")
}
