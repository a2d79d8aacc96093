package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// droppingSource records when the engine lets it drop its listings and,
// once the plan is made, its users (a Reset after the listings' drop),
// and every read made after that.
type droppingSource struct {
	*fakeSource
	mu         sync.Mutex
	drops      int
	resets     int // after drops: the users' release
	lateReads  []string
	lateSweeps int
}

func (s *droppingSource) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drops > 0 {
		s.resets++
	}
}

func (s *droppingSource) ListUsers(ctx context.Context) ([]model.User, error) {
	s.mu.Lock()
	if s.resets > 0 {
		s.lateSweeps++
	}
	s.mu.Unlock()
	return s.fakeSource.ListUsers(ctx)
}

func (s *droppingSource) DropListings() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops++
}

func (s *droppingSource) ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error) {
	s.mu.Lock()
	if s.drops > 0 {
		s.lateReads = append(s.lateReads, g.Email)
	}
	s.mu.Unlock()
	return s.fakeSource.ReadMembers(ctx, g, opts)
}

// twoRulesConfig is testConfig with a second rule on the same source.
var twoRulesConfig = fmt.Sprintf(testConfig, "50%") + `  - name: bots
    source: corp
    target: app
    groups: {include: ["eng-bots@example.com"]}
`

// TestListingsDroppedAfterReads: the source may drop its cached listings
// once the last rule reading from it reaches its gate, and its users once
// that rule's plan is made, and not before: no read comes after the drop.
func TestListingsDroppedAfterReads(t *testing.T) {
	for _, tc := range []struct {
		name, config string
	}{
		{"one rule", fmt.Sprintf(testConfig, "50%")},
		{"two rules, one source", twoRulesConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "")
			src := &droppingSource{fakeSource: f.src}
			cfg, err := config.Parse(filepath.Join(t.TempDir(), "groupsync.yaml"), []byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			f.eng = engine.New(rules(t, cfg), f.store, map[string]engine.Source{"corp": src},
				map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4})
			if j := f.run(t, engine.Request{}); j.Status != model.JobDone {
				t.Fatalf("status: got %s, want done (errors %v)", j.Status, j.Errors)
			}
			if src.drops == 0 {
				t.Error("listings were never dropped")
			}
			if len(src.lateReads) > 0 {
				t.Errorf("groups read after the listings were dropped: %v", src.lateReads)
			}
			if src.resets == 0 {
				t.Error("users were never released after the plan")
			}
			if src.lateSweeps > 0 {
				t.Errorf("users swept %d times after they were released, want none", src.lateSweeps)
			}
		})
	}
}
