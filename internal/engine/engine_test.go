package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store/bolt"
	"github.com/groupsync/groupsync/internal/store/storetest"
	"github.com/groupsync/groupsync/internal/target/memtarget"
)

const testConfig = `
store: bolt://groupsync.db
sources:
  corp: {type: workspace, customer: my_customer, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "http://127.0.0.1:1/scim/v2", token: env://TEST_TOKEN}
rules:
  - name: eng
    source: corp
    target: app
    groups: {include: ["eng-*@example.com"], exclude: ["eng-bots@example.com"]}
    policy: {max_deletes: "10%%", max_deletes_per_group: "%s"}
`

func mustConfig(t *testing.T, perGroup string) *config.File {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "groupsync.yaml"), []byte(fmt.Sprintf(testConfig, perGroup)))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func rules(t *testing.T, cfg *config.File) []config.RunRule {
	t.Helper()
	rs, err := cfg.RunRules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

type fixture struct {
	src   *fakeSource
	tgt   *memtarget.Target
	store *storetest.DataWrites
	eng   *engine.Engine
}

// newFixture builds an org of three in-scope groups of ten users each and
// one excluded group, with an engine over bolt.
func newFixture(t *testing.T, perGroup string) *fixture {
	t.Helper()
	cfg := mustConfig(t, perGroup)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("bolt: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{src: newFakeSource(), tgt: memtarget.New(), store: storetest.CountDataWrites(st)}
	for _, g := range []string{"a", "b", "c"} {
		var ids []string
		for i := range 10 {
			id := fmt.Sprintf("%s%02d", g, i)
			f.src.addUser(id, id+"@example.com")
			ids = append(ids, id)
		}
		f.src.addGroup("G"+g, "eng-"+g+"@example.com", ids...)
	}
	f.src.addGroup("Gbots", "eng-bots@example.com", "a00")
	f.eng = engine.New(rules(t, cfg), f.store, map[string]engine.Source{"corp": f.src}, map[string]engine.Target{"app": f.tgt}, engine.Options{Workers: 4})
	return f
}

func (f *fixture) run(t *testing.T, req engine.Request) model.Job {
	t.Helper()
	j, err := f.eng.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return j
}

func emails(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id + "@example.com"
	}
	return out
}

func TestFirstSyncConverges(t *testing.T) {
	f := newFixture(t, "")
	j := f.run(t, engine.Request{})
	if j.Status != model.JobDone {
		t.Fatalf("status: got %s, want done (errors %v)", j.Status, j.Errors)
	}
	if got, want := j.Counts.Groups, 3; got != want {
		t.Errorf("groups in job: got %d, want %d (eng-bots is excluded)", got, want)
	}
	if got, want := j.Counts.UsersCreated, 30; got != want {
		t.Errorf("users created: got %d, want %d", got, want)
	}
	want := emails("b00", "b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09")
	if diff := cmp.Diff(want, f.tgt.Members("eng-b@example.com")); diff != "" {
		t.Errorf("eng-b members (-want +got):\n%s", diff)
	}
	if got := f.tgt.Members("eng-bots@example.com"); len(got) != 0 {
		t.Errorf("excluded group was synced: %v", got)
	}
}

func TestRerunUnchangedWritesNothing(t *testing.T) {
	f := newFixture(t, "")
	f.run(t, engine.Request{})
	tw, sw := f.tgt.Writes(), f.store.Count()
	j := f.run(t, engine.Request{})
	if got := f.tgt.Writes() - tw; got != 0 {
		t.Errorf("target writes on unchanged rerun: got %d, want 0", got)
	}
	if got := f.store.Count() - sw; got != 0 {
		t.Errorf("store writes on unchanged rerun: got %d, want 0", got)
	}
	if j.Status != model.JobDone || j.Counts.Unchanged != 3 {
		t.Errorf("job: got status %s with %d unchanged, want done with 3", j.Status, j.Counts.Unchanged)
	}
}

func TestOverMaxDeletesIsHeldThenApproved(t *testing.T) {
	f := newFixture(t, "")
	f.run(t, engine.Request{})
	// Remove 6 of eng-a's 10 members: 60% > the 10% per-group default.
	f.src.setMembers("Ga", "a00", "a01", "a02", "a03")
	tw := f.tgt.Writes()
	j := f.run(t, engine.Request{})
	if j.Status != model.JobHeld {
		t.Fatalf("status: got %s, want held", j.Status)
	}
	if got := f.tgt.Writes() - tw; got != 0 {
		t.Fatalf("target writes while held: got %d, want 0", got)
	}
	if got := len(f.tgt.Members("eng-a@example.com")); got != 10 {
		t.Fatalf("eng-a members while held: got %d, want 10", got)
	}
	ok, err := f.eng.Approve(context.Background(), j.ID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if ok.Status != model.JobDone || ok.ApproveOf != j.ID {
		t.Errorf("approve job: got status %s approving %q, want done approving %s", ok.Status, ok.ApproveOf, j.ID)
	}
	if diff := cmp.Diff(emails("a00", "a01", "a02", "a03"), f.tgt.Members("eng-a@example.com")); diff != "" {
		t.Errorf("eng-a after approve (-want +got):\n%s", diff)
	}
	if _, err := f.eng.Approve(context.Background(), j.ID); !errors.Is(err, engine.ErrNothingHeld) {
		t.Errorf("second approve: got %v, want ErrNothingHeld", err)
	}
}

func TestApproveRefusesChangedSource(t *testing.T) {
	f := newFixture(t, "")
	f.run(t, engine.Request{})
	f.src.setMembers("Ga", "a00")
	j := f.run(t, engine.Request{})
	if j.Status != model.JobHeld {
		t.Fatalf("status: got %s, want held", j.Status)
	}
	f.src.setMembers("Ga", "a00", "a01")
	tw := f.tgt.Writes()
	if _, err := f.eng.Approve(context.Background(), j.ID); !errors.Is(err, engine.ErrSourceChanged) {
		t.Fatalf("Approve after change: got %v, want ErrSourceChanged", err)
	}
	if got := f.tgt.Writes() - tw; got != 0 {
		t.Errorf("target writes after refused approve: got %d, want 0", got)
	}
}

func TestForceAppliesOverLimit(t *testing.T) {
	f := newFixture(t, "")
	f.run(t, engine.Request{})
	f.src.setMembers("Ga", "a00")
	j := f.run(t, engine.Request{Force: true})
	if j.Status != model.JobDone {
		t.Fatalf("status: got %s, want done", j.Status)
	}
	if diff := cmp.Diff(emails("a00"), f.tgt.Members("eng-a@example.com")); diff != "" {
		t.Errorf("eng-a (-want +got):\n%s", diff)
	}
}

func TestIncompleteGroupRemovesNothing(t *testing.T) {
	f := newFixture(t, "100%")
	f.run(t, engine.Request{})
	f.src.incomplete["Gb"] = true
	j := f.run(t, engine.Request{})
	if got := len(f.tgt.Members("eng-b@example.com")); got != 10 {
		t.Errorf("eng-b members after incomplete read: got %d, want 10", got)
	}
	if j.Counts.Incomplete != 1 || j.Counts.MembersRemove != 0 {
		t.Errorf("job counts: got incomplete %d removed %d, want 1 and 0", j.Counts.Incomplete, j.Counts.MembersRemove)
	}
	if j.Status == model.JobDone {
		t.Errorf("status: got done, want the incomplete read reported")
	}
}

func TestRenameUpdatesNotRecreates(t *testing.T) {
	f := newFixture(t, "")
	f.run(t, engine.Request{})
	f.src.addUser("c05", "c05.renamed@example.com")
	tw := f.tgt.Writes()
	j := f.run(t, engine.Request{})
	if j.Counts.UsersUpdated != 1 || j.Counts.UsersCreated != 0 {
		t.Errorf("counts: got %d updated %d created, want 1 and 0", j.Counts.UsersUpdated, j.Counts.UsersCreated)
	}
	if got := f.tgt.Writes() - tw; got != 1 {
		t.Errorf("target writes for a rename: got %d, want 1", got)
	}
	if got := len(f.tgt.ActiveUsers()); got != 30 {
		t.Errorf("target users: got %d, want 30", got)
	}
}

func TestDryRunAppliesNothing(t *testing.T) {
	f := newFixture(t, "")
	j := f.run(t, engine.Request{DryRun: true})
	if f.tgt.Writes() != 0 || f.store.Count() != 0 {
		t.Errorf("dry run wrote: target %d, store %d", f.tgt.Writes(), f.store.Count())
	}
	if j.Counts.MembersAdded != 30 || j.Counts.UsersCreated != 30 {
		t.Errorf("dry run counts: got +%d members, %d users, want 30 and 30", j.Counts.MembersAdded, j.Counts.UsersCreated)
	}
}

func TestProgressReportsReadsThenEachGroupLive(t *testing.T) {
	f := newFixture(t, "")
	var (
		mu     sync.Mutex
		events []engine.Progress
	)
	eng := engine.New(rules(t, mustConfig(t, "")), f.store, map[string]engine.Source{"corp": f.src}, map[string]engine.Target{"app": f.tgt}, engine.Options{
		Workers: 2,
		Progress: func(p engine.Progress) {
			mu.Lock()
			events = append(events, p)
			mu.Unlock()
		},
	})
	if _, err := eng.Run(context.Background(), engine.Request{}); err != nil {
		t.Fatal(err)
	}
	var reads, applies []int
	for _, ev := range events {
		switch ev.Phase {
		case engine.PhaseRead:
			if len(applies) > 0 {
				t.Errorf("read event after an apply event: %+v", ev)
			}
			reads = append(reads, ev.Done)
		case engine.PhaseApply:
			if ev.Total != 3 {
				t.Errorf("apply event total: got %d, want 3", ev.Total)
			}
			applies = append(applies, ev.Done)
		}
	}
	sort.Ints(reads)
	sort.Ints(applies)
	if diff := cmp.Diff([]int{1, 2, 3}, reads); diff != "" {
		t.Errorf("read progress (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, applies); diff != "" {
		t.Errorf("apply progress (-want +got):\n%s", diff)
	}
}
