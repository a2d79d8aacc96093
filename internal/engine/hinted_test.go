package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/store/memstore"
	"github.com/groupsync/groupsync/internal/target/memtarget"
)

// The Workspace source runs on hints.
var _ engine.HintSource = (*workspace.Source)(nil)

// auditEvent is one change the hinting fake logs: the groups and users it
// names, or a change hints cannot follow.
type auditEvent struct {
	at     time.Time
	groups []string
	users  []string
	full   string
}

// hintSource is a fakeSource with an audit log behind Hints and a count
// of the directory calls a Workspace source would make: a groups.list
// page per 200 groups, a users.list page per 500 users, a member read per
// group and one activities.list per audit application.
type hintSource struct {
	*fakeSource
	now func() time.Time
	lag time.Duration

	mu     sync.Mutex
	events []auditEvent
	calls  int
	fail   error
}

func (s *hintSource) count(n int) {
	s.mu.Lock()
	s.calls += n
	s.mu.Unlock()
}

func (s *hintSource) takeCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.calls
	s.calls = 0
	return n
}

func (s *hintSource) log(ev auditEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev.at = s.now()
	s.events = append(s.events, ev)
}

func (s *hintSource) ListGroups(ctx context.Context) ([]model.GroupInfo, error) {
	gs, err := s.fakeSource.ListGroups(ctx)
	s.count((len(gs) + 199) / 200)
	return gs, err
}

func (s *hintSource) ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error) {
	s.count(1)
	return s.fakeSource.ReadMembers(ctx, g, opts)
}

func (s *hintSource) ListUsers(ctx context.Context) ([]model.User, error) {
	us, err := s.fakeSource.ListUsers(ctx)
	s.count((len(us) + 499) / 500)
	return us, err
}

func (s *hintSource) HintOverlap() time.Duration { return 15 * time.Minute }

func (s *hintSource) Hints(ctx context.Context, since, until time.Time) (model.Hints, error) {
	s.count(2)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return model.Hints{}, s.fail
	}
	h := model.Hints{Until: until}
	for _, ev := range s.events {
		if ev.at.Before(since) || !ev.at.Before(until) || ev.at.Add(s.lag).After(s.now()) {
			continue
		}
		h.Groups = append(h.Groups, ev.groups...)
		h.Users = append(h.Users, ev.users...)
		if ev.full != "" {
			h.Full, h.Reason = true, ev.full
		}
	}
	return h, nil
}

type hintFixture struct {
	src   *hintSource
	tgt   *memtarget.Target
	store *memstore.Store
	eng   *engine.Engine
	clock *workspacetest.Clock
}

// newHintFixture builds groups eng-000…eng-(n-1), each with its own two
// users, on a source with change hints and a 90 s audit lag, and runs
// the first (full) sync.
func newHintFixture(t *testing.T, n int) *hintFixture {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "groupsync.yaml"), []byte(fmt.Sprintf(testConfig, "100%")))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := workspacetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	f := &hintFixture{src: &hintSource{fakeSource: newFakeSource(), now: c.Now, lag: 90 * time.Second},
		tgt: memtarget.New(), store: memstore.New(), clock: c}
	for i := range n {
		a, b := fmt.Sprintf("u%03da", i), fmt.Sprintf("u%03db", i)
		f.src.addUser(a, a+"@example.com")
		f.src.addUser(b, b+"@example.com")
		f.src.addGroup(fmt.Sprintf("G%03d", i), fmt.Sprintf("eng-%03d@example.com", i), a, b)
	}
	f.eng = engine.New(rules(t, cfg), f.store, map[string]engine.Source{"corp": f.src},
		map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4, Now: c.Now})
	if j := f.run(t, engine.Request{}); j.Status != model.JobDone {
		t.Fatalf("first sync: got %s, want done (errors %v)", j.Status, j.Errors)
	}
	f.src.takeCalls()
	return f
}

// run runs a sync a minute after the last one, as the hint poll does.
func (f *hintFixture) run(t *testing.T, req engine.Request) model.Job {
	t.Helper()
	f.clock.Add(time.Minute)
	j, err := f.eng.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return j
}

func (f *hintFixture) writes() int { return f.tgt.Writes() }

func TestHintedRunWithoutChangeListsOnly(t *testing.T) {
	const groups = 450
	f := newHintFixture(t, groups)
	before := f.writes()
	j := f.run(t, engine.Request{})
	if j.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (errors %v, notes %v)", j.Status, j.Errors, j.Notes)
	}
	if got, want := f.src.takeCalls(), (groups+199)/200+2; got != want {
		t.Errorf("directory calls: got %d, want ceil(%d/200)+2 = %d", got, groups, want)
	}
	if got := f.writes() - before; got != 0 {
		t.Errorf("target writes: got %d, want 0", got)
	}
	if j.Total != 0 {
		t.Errorf("group steps: got %d, want 0 (no group changes, so none is applied)", j.Total)
	}
}

func TestHintedChangeReachesTarget(t *testing.T) {
	f := newHintFixture(t, 30)
	f.src.addUser("new", "new@example.com")
	f.src.setMembers("G007", "u007a", "new")
	f.src.log(auditEvent{groups: []string{"eng-007@example.com"}, users: []string{"new@example.com", "u007b@example.com"}})
	// Within the audit lag the change is not listed yet: nothing moves.
	j := f.run(t, engine.Request{})
	if got := f.tgt.Members("eng-007@example.com"); !slices.Contains(got, "u007b@example.com") {
		t.Fatalf("eng-007 changed before the audit log listed the change: %v", got)
	}
	// The next poll reads it (the window overlaps the last one).
	j = f.run(t, engine.Request{})
	if j.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (errors %v, notes %v)", j.Status, j.Errors, j.Notes)
	}
	if diff := cmp.Diff([]string{"new@example.com", "u007a@example.com"}, f.tgt.Members("eng-007@example.com")); diff != "" {
		t.Errorf("eng-007 members (-want +got):\n%s", diff)
	}
	if got, want := f.src.takeCalls(), 2*(1+2)+1+1; got != want {
		t.Errorf("directory calls over both polls: got %d, want %d (two listings and hint reads, one group, one user sweep)", got, want)
	}
	if got, want := j.Counts.UsersDisabled, 1; got != want {
		t.Errorf("users disabled: got %d, want %d (u007b is in no group now)", got, want)
	}
}

func TestHintedUserSuspendLeavesUnnamedGroups(t *testing.T) {
	f := newHintFixture(t, 5)
	f.src.mu.Lock()
	u := f.src.users["u003a"]
	u.Suspended = true
	f.src.users["u003a"] = u
	f.src.mu.Unlock()
	f.src.log(auditEvent{users: []string{"u003a@example.com"}})
	f.clock.Add(2 * time.Minute)
	j := f.run(t, engine.Request{})
	if j.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (errors %v)", j.Status, j.Errors)
	}
	if diff := cmp.Diff([]string{"u003b@example.com"}, f.tgt.Members("eng-003@example.com")); diff != "" {
		t.Errorf("eng-003 members (-want +got):\n%s", diff)
	}
}

func TestHintsForceFullRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *hintFixture)
		note  string // in the job's notes; "" for none
	}{
		{
			name:  "hint read fails",
			setup: func(f *hintFixture) { f.src.fail = fmt.Errorf("audit: %w", errNoScope) },
			note:  "change hints could not be read",
		},
		{
			name:  "hints say full",
			setup: func(f *hintFixture) { f.src.log(auditEvent{full: "a group was nested or un-nested"}) },
			note:  "a group was nested or un-nested",
		},
		{
			name: "group deleted",
			setup: func(f *hintFixture) {
				f.src.mu.Lock()
				f.src.groups = f.src.groups[1:]
				f.src.mu.Unlock()
			},
			note: "group eng-000@example.com was deleted",
		},
		{
			name: "a named group is nested",
			setup: func(f *hintFixture) {
				// eng-001 was nested in eng-000 at the last full run.
				st, _, _ := f.store.RuleState(context.Background(), "eng")
				st.Nested = []string{"eng-001@example.com"}
				f.store.PutRuleState(context.Background(), st)
				f.src.log(auditEvent{groups: []string{"eng-001@example.com"}})
			},
			note: "is nested in another group",
		},
		{
			name: "a group named as a member",
			setup: func(f *hintFixture) {
				f.src.log(auditEvent{groups: []string{"eng-002@example.com"}, users: []string{"eng-003@example.com"}})
			},
			note: "group eng-003@example.com was added to or removed from a group",
		},
		{
			name: "watermark gap",
			setup: func(f *hintFixture) {
				st, _, _ := f.store.RuleState(context.Background(), "eng")
				st.HintWatermark = st.LastFull.Add(-time.Hour)
				f.store.PutRuleState(context.Background(), st)
			},
			note: "shows a gap",
		},
		{name: "asked for", setup: func(*hintFixture) {}},
		{
			name: "full reconcile due",
			setup: func(f *hintFixture) {
				f.clock.Add(config.DefaultFullEvery)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHintFixture(t, 10)
			// An unlogged change only a full read finds.
			f.src.setMembers("G005", "u005a")
			tc.setup(f)
			f.clock.Add(2 * time.Minute) // past the audit lag
			// Force: a deleted group's emptying is over the 10% limit.
			j := f.run(t, engine.Request{Full: tc.name == "asked for", Force: true})
			if j.Status != model.JobDone {
				t.Fatalf("status: got %s, want done (errors %v)", j.Status, j.Errors)
			}
			if got, want := f.src.takeCalls(), 1+10+1; got < want {
				t.Errorf("directory calls: got %d, want at least %d (a full read)", got, want)
			}
			if diff := cmp.Diff([]string{"u005a@example.com"}, f.tgt.Members("eng-005@example.com")); diff != "" {
				t.Errorf("eng-005 members (-want +got):\n%s", diff)
			}
			noted := strings.Join(j.Notes, "\n")
			if tc.note == "" && strings.Contains(noted, "full read") {
				t.Errorf("notes: got %q, want no full-read note for a routine full run", noted)
			}
			if tc.note != "" && !strings.Contains(noted, tc.note) {
				t.Errorf("notes: got %q, want one containing %q", noted, tc.note)
			}
			// The full run resets the watermark: the next poll is hinted.
			f.src.fail = nil
			f.run(t, engine.Request{})
			if got, want := f.src.takeCalls(), 1+2; got != want {
				t.Errorf("directory calls of the next poll: got %d, want %d", got, want)
			}
		})
	}
}

var errNoScope = fmt.Errorf("the delegation does not grant admin.reports.audit.readonly")

func TestHintedRunOverLimitIsHeld(t *testing.T) {
	f := newHintFixture(t, 10)
	for _, g := range []string{"G001", "G002", "G003"} {
		f.src.setMembers(g)
	}
	f.src.log(auditEvent{groups: []string{"eng-001@example.com", "eng-002@example.com", "eng-003@example.com"}})
	f.clock.Add(2 * time.Minute)
	before := f.writes()
	j := f.run(t, engine.Request{})
	if j.Status != model.JobHeld {
		t.Fatalf("status: got %s, want held: 6 removals and 6 disables are over 10%% of the whole rule (errors %v)", j.Status, j.Errors)
	}
	if got := f.writes() - before; got != 0 {
		t.Errorf("target writes of a held hinted run: got %d, want 0", got)
	}
	// Held: the watermark stays, so the next poll finds the same hints.
	j = f.run(t, engine.Request{})
	if j.Status != model.JobHeld {
		t.Fatalf("next poll: got %s, want held again", j.Status)
	}
	// The approval re-reads in full; the reviewed changes are the same.
	ap, err := f.eng.Approve(context.Background(), j.ID)
	if err != nil {
		t.Fatalf("approve the held hinted plan: %v", err)
	}
	if ap.Status != model.JobDone {
		t.Fatalf("approval: got %s, want done (errors %v)", ap.Status, ap.Errors)
	}
	if got := f.tgt.Members("eng-002@example.com"); len(got) != 0 {
		t.Errorf("eng-002 members after approval: got %v, want none", got)
	}
	f.src.takeCalls()
	f.run(t, engine.Request{})
	if got, want := f.src.takeCalls(), 1+2+3+1; got != want {
		t.Errorf("directory calls of the poll after the approval: got %d, want %d (the listing, the hints, the three named groups re-read once more, a user sweep)", got, want)
	}
}

// TestHintedIncompleteGroupKeepsWatermark: a group whose read comes back
// incomplete (a page failed) leaves the rule's hint watermark where it
// was, though the job has no error, so the next poll reads its hints
// again, and the change lands once the directory answers in full.
func TestHintedIncompleteGroupKeepsWatermark(t *testing.T) {
	f := newHintFixture(t, 10)
	before, _, err := f.store.RuleState(context.Background(), "eng")
	if err != nil {
		t.Fatal(err)
	}
	f.src.setMembers("G003", "u003a", "u000a", "u001a", "u002a")
	f.src.log(auditEvent{groups: []string{"eng-003@example.com"}})
	f.clock.Add(2 * time.Minute) // past the audit lag
	f.src.mu.Lock()
	f.src.incomplete["G003"] = true
	f.src.mu.Unlock()
	if j := f.run(t, engine.Request{}); j.Counts.Incomplete != 1 || j.Counts.Errors != 0 {
		t.Fatalf("run with an incomplete read: got counts %+v, want one incomplete group and no error", j.Counts)
	}
	after, _, err := f.store.RuleState(context.Background(), "eng")
	if err != nil {
		t.Fatal(err)
	}
	if !after.HintWatermark.Equal(before.HintWatermark) {
		t.Errorf("hint watermark after an incomplete group: got %s, want it kept at %s", after.HintWatermark, before.HintWatermark)
	}
	f.src.mu.Lock()
	f.src.incomplete["G003"] = false
	f.src.mu.Unlock()
	if j := f.run(t, engine.Request{}); j.Status != model.JobDone {
		t.Fatalf("status after recovery: got %s, want done (errors %v)", j.Status, j.Errors)
	}
	want := []string{"u000a@example.com", "u001a@example.com", "u002a@example.com", "u003a@example.com"}
	if diff := cmp.Diff(want, f.tgt.Members("eng-003@example.com")); diff != "" {
		t.Errorf("eng-003 members after recovery (-want +got):\n%s", diff)
	}
}
