package firestore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/emulator"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store/storetest"
)

// The engine owns the interface; this is where the store proves it fits.
var _ engine.Store = (*Store)(nil)

func TestMain(m *testing.M) { emulator.Main(m) }

// open returns a store on a fresh emulator project, reached through
// explicit client options rather than FIRESTORE_EMULATOR_HOST so tests do
// not depend on process environment.
func open(t testing.TB) *Store {
	t.Helper()
	return openProject(t, emulator.ProjectID(t))
}

func openProject(t testing.TB, project string) *Store {
	t.Helper()
	host := emulator.Firestore(t)
	s, err := New(context.Background(), project, "", emulator.ClientOptions(host)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) engine.Store { return open(t) })
}

// TestOpenEmulatorEnv opens the store the way the config does, with the
// emulator named by FIRESTORE_EMULATOR_HOST.
func TestOpenEmulatorEnv(t *testing.T) {
	host := emulator.Firestore(t)
	t.Setenv(emulator.FirestoreHostEnv, host)
	ctx := t.Context()
	project := emulator.ProjectID(t)
	s, err := Open(ctx, "firestore://projects/"+project+"/databases/(default)")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	want := model.RuleState{Rule: "r", LastScope: 3}
	if err := s.PutRuleState(ctx, want); err != nil {
		t.Fatalf("PutRuleState: %v", err)
	}
	// A store reaching the emulator by explicit options sees the data, so
	// Open used the emulator and the named project.
	s2 := openProject(t, project)
	defer s2.Close()
	got, ok, err := s2.RuleState(ctx, "r")
	if err != nil || !ok {
		t.Fatalf("RuleState = ok %v, err %v; want true, nil", ok, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("RuleState mismatch (-want +got):\n%s", diff)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, project, db string
		wantErr          bool
	}{
		{"firestore://projects/p1/databases/(default)", "p1", "(default)", false},
		{"firestore://projects/my-proj/databases/groupsync", "my-proj", "groupsync", false},
		{"firestore://projects/p1", "", "", true},
		{"firestore://projects//databases/d", "", "", true},
		{"firestore://projects/p1/databases/d/extra", "", "", true},
		{"bolt://projects/p1/databases/d", "", "", true},
		{"firestore://projects/p1/databases/d?x=1", "", "", true},
		{"firestore://p1/d", "", "", true},
	}
	for _, tt := range tests {
		p, d, err := ParseURL(tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseURL(%q) err = %v, want error %v", tt.url, err, tt.wantErr)
			continue
		}
		if p != tt.project || d != tt.db {
			t.Errorf("ParseURL(%q) = %q, %q; want %q, %q", tt.url, p, d, tt.project, tt.db)
		}
	}
}

func TestDocID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"eng@example.com", "eng@example.com"},
		{"Eng-Team_1@Example.com", "Eng-Team_1@Example.com"},
		{"a/b", "a%2Fb"},
		{"r1:g1", "r1%3Ag1"},
		{"100%", "100%25"},
		{".", "%2E"},
		{"..", "%2E."},
		{"__x__", "%5F_x__"},
		{"__", "__"},
		{"", "%"},
		{"é", "%C3%A9"},
	}
	for _, tt := range tests {
		if got := docID(tt.in); got != tt.want {
			t.Errorf("docID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Keys that differ must never share a document, joined or not.
	seen := map[string]string{}
	for _, pair := range [][2]string{{"a:b", "c"}, {"a", "b:c"}, {"a", "b%3Ac"}, {"a%3Ab", "c"}, {"", "x"}, {"%", "x"}} {
		id := pairID(pair[0], pair[1])
		if prev, ok := seen[id]; ok {
			t.Errorf("pairID(%q, %q) = %q, same as %s", pair[0], pair[1], id, prev)
		}
		seen[id] = fmt.Sprint(pair)
	}
}

// TestAwkwardKeys stores records whose keys contain characters that are
// invalid or special in document IDs.
func TestAwkwardKeys(t *testing.T) {
	s := open(t)
	defer s.Close()
	ctx := t.Context()
	for _, key := range []string{"a/b", "..", "__name__", "x:y", "100%", "sp ace", "ü"} {
		sn := model.Snapshot{Rule: key, GroupID: key, Email: key, MemberIDs: []string{"u1"}, Hash: "h"}
		if err := s.PutSnapshot(ctx, sn); err != nil {
			t.Errorf("PutSnapshot(%q): %v", key, err)
			continue
		}
		got, ok, err := s.Snapshot(ctx, key, key)
		if err != nil || !ok {
			t.Errorf("Snapshot(%q) = ok %v, err %v; want true, nil", key, ok, err)
			continue
		}
		if diff := cmp.Diff(sn, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Snapshot(%q) mismatch (-want +got):\n%s", key, diff)
		}
		if ok, err := s.AcquireLease(ctx, key+":"+key, "h", time.Hour); err != nil || !ok {
			t.Errorf("AcquireLease(%q) = %v, %v; want true, nil", key, ok, err)
		}
	}
}

func TestWrites(t *testing.T) {
	storetest.RunWrites(t, func(t *testing.T) storetest.WriteCounter { return open(t) })
}

func TestLeaseClock(t *testing.T) {
	storetest.RunLeaseClock(t, func(t *testing.T) (engine.Store, func(func() time.Time)) {
		s := open(t)
		return s, func(now func() time.Time) { s.now = now }
	})
}

// TestLargeRecords stores a plan too big for one commit, so it must go in
// chunks that a smaller plan replaces, and a group result too big for one
// document, so it must spill into parts.
func TestLargeRecords(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	var users []model.User
	var ids []string
	for i := range 30000 {
		id := fmt.Sprintf("1%020d", i*7919)
		ids = append(ids, id)
		// Hashes for names, so gzip cannot squeeze the plan into one part.
		users = append(users, model.User{ID: id, Email: fmt.Sprintf("user%d@example.com", i), GivenName: model.HashStrings(id), FamilyName: model.HashStrings(id, "f")})
	}
	big := model.HeldPlan{JobID: "j", Rule: "r", Plan: model.Plan{Rule: "r", CreateUsers: users}, Reasons: []string{"max_deletes"}, Created: time.Now()}
	if err := s.PutPlan(ctx, big); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	if got, want := s.countChunks(t, s.planRef("j", "r")), 6; got != want {
		t.Fatalf("big plan has %d chunks, want %d (30,000 users to create, 5,000 a chunk)", got, want)
	}
	got, err := s.Held(ctx, "j")
	if err != nil {
		t.Fatalf("Held: %v", err)
	}
	if diff := cmp.Diff([]model.HeldPlan{big}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Held mismatch (-want +got):\n%s", diff)
	}

	small := big
	small.Plan.CreateUsers = users[:2]
	if err := s.PutPlan(ctx, small); err != nil {
		t.Fatalf("PutPlan (small): %v", err)
	}
	if got, want := s.countChunks(t, s.planRef("j", "r")), 1; got != want {
		t.Errorf("after shrinking, %d chunk documents remain, want %d: the earlier plan's are dropped", got, want)
	}
	// The earlier chunks' spilled parts go with them (nothing else in this
	// fresh project has parts yet).
	if parts, err := s.c.CollectionGroup(colParts).Documents(ctx).GetAll(); err != nil || len(parts) != 0 {
		t.Errorf("after shrinking, %d part documents remain (err %v), want 0", len(parts), err)
	}
	h, ok, err := s.Plan(ctx, "j", "r")
	if err != nil || !ok {
		t.Fatalf("Plan = ok %v, err %v", ok, err)
	}
	if diff := cmp.Diff(small, h, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Plan after shrink mismatch (-want +got):\n%s", diff)
	}

	if err := s.CreateJob(ctx, model.Job{ID: "j", Status: model.JobRunning, Started: time.Now()}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	r := model.GroupResult{JobID: "j", Rule: "r", GroupID: "g", Email: "g@example.com", Status: model.GroupApplied,
		Plan: model.GroupPlan{GroupID: "g", Add: ids}, Counts: model.Counts{Groups: 1, MembersAdded: len(ids)}}
	if _, _, err := s.RecordGroupResult(ctx, r); err != nil {
		t.Fatalf("RecordGroupResult: %v", err)
	}
	results, err := s.GroupResults(ctx, "j")
	if err != nil {
		t.Fatalf("GroupResults: %v", err)
	}
	if diff := cmp.Diff([]model.GroupResult{r}, results, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("GroupResults mismatch (-want +got):\n%s", diff)
	}
}

// expiresOf reads the expires field of a document.
func expiresOf(t *testing.T, ref *firestore.DocumentRef) time.Time {
	t.Helper()
	doc, err := ref.Get(t.Context())
	if err != nil {
		t.Fatalf("Get %s: %v", ref.Path, err)
	}
	v, err := doc.DataAt("expires")
	if err != nil {
		t.Fatalf("%s has no expires: %v", ref.Path, err)
	}
	got, ok := v.(time.Time)
	if !ok {
		t.Fatalf("%s expires = %v, not a timestamp", ref.Path, v)
	}
	return got
}

// countParts counts the part documents under ref, whatever ref says.
func (s *Store) countParts(t *testing.T, ref *firestore.DocumentRef) int {
	t.Helper()
	return countDocs(t, ref, colParts)
}

// countChunks counts the plan chunk documents under ref.
func (s *Store) countChunks(t *testing.T, ref *firestore.DocumentRef) int {
	t.Helper()
	return countDocs(t, ref, colPlanChunks)
}

func countDocs(t *testing.T, ref *firestore.DocumentRef, col string) int {
	t.Helper()
	docs, err := ref.Collection(col).Documents(t.Context()).GetAll()
	if err != nil {
		t.Fatalf("listing %s of %s: %v", col, ref.Path, err)
	}
	return len(docs)
}

// clients opens n stores on one fresh project, as n function instances
// would; they share no in-process lock.
func clients(t *testing.T, n int) []*Store {
	t.Helper()
	project := emulator.ProjectID(t)
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openProject(t, project)
		t.Cleanup(func() { stores[i].Close() })
	}
	return stores
}

// TestRecordGroupResultAcrossClients delivers every result twice through
// different clients, as two function instances would: the in-process lock
// cannot help, so only the transaction keeps the counts exact.
func TestRecordGroupResultAcrossClients(t *testing.T) {
	ctx := t.Context()
	stores := clients(t, 4)
	if err := stores[0].CreateJob(ctx, model.Job{ID: "j", Status: model.JobRunning, Total: 12}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	const groups = 12
	var wg sync.WaitGroup
	var firsts atomic.Int64
	for i := range 2 * groups {
		wg.Go(func() {
			g := fmt.Sprintf("g%d", i%groups)
			r := model.GroupResult{JobID: "j", Rule: "r", GroupID: g, Counts: model.Counts{Groups: 1, MembersAdded: 2}}
			_, first, err := stores[i%len(stores)].RecordGroupResult(ctx, r)
			if err != nil {
				t.Errorf("RecordGroupResult(%s): %v", g, err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if got := firsts.Load(); got != groups {
		t.Errorf("first = true %d times, want %d", got, groups)
	}
	j, err := stores[1].Job(ctx, "j")
	if err != nil {
		t.Fatalf("Job: %v", err)
	}
	if j.Done != groups || j.Counts.Groups != groups || j.Counts.MembersAdded != 2*groups {
		t.Errorf("job Done %d, Counts.Groups %d, Counts.MembersAdded %d; want %d, %d, %d", j.Done, j.Counts.Groups, j.Counts.MembersAdded, groups, groups, 2*groups)
	}
}

// TestJobExpiry checks the field the TTL policy reads: jobs and every
// record under them expire the configured retention after the job (or
// the record) started.
func TestJobExpiry(t *testing.T) {
	t.Setenv(JobTTLEnv, "7")
	s := open(t)
	defer s.Close()
	ctx := t.Context()
	started := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	want := started.Add(7 * 24 * time.Hour)
	if err := s.CreateJob(ctx, model.Job{ID: "j", Status: model.JobRunning, Started: started}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	if _, _, err := s.RecordGroupResult(ctx, model.GroupResult{JobID: "j", Rule: "r", GroupID: "g"}); err != nil {
		t.Fatalf("RecordGroupResult: %v", err)
	}
	if err := s.PutPlan(ctx, model.HeldPlan{JobID: "j", Rule: "r", Created: started}); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	if _, _, err := s.CreateRuleRun(ctx, model.RuleRun{JobID: "j", Rule: "r", Created: started}); err != nil {
		t.Fatalf("CreateRuleRun: %v", err)
	}
	for _, ref := range []*firestore.DocumentRef{s.jobRef("j"), s.resultRef("j", "r", "g"), s.planRef("j", "r"), s.runRef("j", "r")} {
		if got := expiresOf(t, ref); !got.Equal(want) {
			t.Errorf("%s expires = %v, want %v", ref.Path, got, want)
		}
	}
	// Staged reads carry no start time: they expire after their write.
	before := time.Now().Add(7 * 24 * time.Hour)
	if _, err := s.PutStaged(ctx, "j", "r", model.Membership{Group: model.GroupInfo{ID: "g"}}); err != nil {
		t.Fatalf("PutStaged: %v", err)
	}
	after := time.Now().Add(7 * 24 * time.Hour)
	for _, ref := range []*firestore.DocumentRef{s.stagedRef("j", "r"), s.stagedReadRef("j", "r", "g")} {
		if got := expiresOf(t, ref); got.Before(before.Truncate(time.Microsecond)) || got.After(after) {
			t.Errorf("%s expires = %v, want between %v and %v", ref.Path, got, before, after)
		}
	}

	t.Setenv(JobTTLEnv, "soon")
	if s2, err := New(ctx, emulator.ProjectID(t), "", emulator.ClientOptions(emulator.Firestore(t))...); err == nil {
		s2.Close()
		t.Errorf("New with %s=soon succeeded, want an error", JobTTLEnv)
	}
}
