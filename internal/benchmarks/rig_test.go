package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/store/bolt"
	"github.com/groupsync/groupsync/internal/store/storetest"
	"github.com/groupsync/groupsync/internal/target/scim"
)

// size is an organisation size. The seed is fixed so that every run of the
// benchmarks syncs the same directory.
type size struct {
	name          string
	users, groups int
}

var sizes = []size{
	{name: "XS", users: 1000, groups: 50},
	{name: "S", users: 10000, groups: 500},
}

const (
	seed     = 20240601
	ruleName = "all"
	// qpm is high enough that pacing never waits: the benchmarks measure
	// the client and the engine, not Google's quota.
	qpm = 1_000_000
)

// configYAML has one rule over every group except all-staff, whose member
// is the whole customer (the engine reads no CUSTOMER members). The
// per-group deletion limit is raised so that a 1% change removing one of
// ten members is applied, not held.
const configYAML = `
store: bolt://groupsync.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json, endpoint: "%s/", qpm: %d}
targets:
  app: {type: scim, url: "%s", token: env://GROUPSYNC_BENCH_TOKEN}
rules:
  - name: ` + ruleName + `
    source: corp
    target: app
    groups: {exclude: ["all-staff@example.com"]}
    policy: {max_deletes: "10%%", max_deletes_per_group: "50%%"}
`

// scimServer is the target the rig writes to: the scimtest fake or the
// scimmy peer.
type scimServer struct {
	url, token string
	close      func()
}

// rig is one directory, one target and one store: the state a sync runs
// against. Each sync builds a new Source, Target and Engine, as the CLI
// does per command, so that no client cache survives between syncs.
type rig struct {
	dir    *workspacetest.Server
	target scimServer
	bolt   *bolt.Store
	store  *storetest.DataWrites
	cfg    *config.File
	key    []byte
	// now is the engine's clock; nil is the real one. Hinted runs set
	// it and the directory's to one simulated clock.
	now func() time.Time
}

// newRig starts a directory of the given size and an empty target and
// store. Close it when done.
func newRig(tb testing.TB, sz size, target func(testing.TB) scimServer, opts ...workspacetest.Option) *rig {
	tb.Helper()
	dir := workspacetest.NewServer(workspacetest.Generate(seed, sz.users, sz.groups), opts...)
	tgt := target(tb)
	tmp := tb.TempDir()
	cfg, err := config.Parse(filepath.Join(tmp, "groupsync.yaml"), fmt.Appendf(nil, configYAML, dir.URL(), qpm, tgt.url))
	if err != nil {
		dir.Close()
		tgt.close()
		tb.Fatalf("config: %v", err)
	}
	st, err := bolt.Open(filepath.Join(tmp, "groupsync.db"))
	if err != nil {
		dir.Close()
		tgt.close()
		tb.Fatal(err)
	}
	return &rig{
		dir:    dir,
		target: tgt,
		bolt:   st,
		store:  storetest.CountDataWrites(st),
		cfg:    cfg,
		key:    dir.ServiceAccountKey("groupsync@bench.iam.gserviceaccount.com"),
	}
}

func (r *rig) close() {
	r.bolt.Close()
	r.target.close()
	r.dir.Close()
}

// result is what one sync cost.
type result struct {
	job          model.Job
	sourceCalls  int64
	auditCalls   int64 // of sourceCalls, the audit log's (a hinted run's)
	budget       int64
	targetReqs   int
	targetWrites int
	patches      int
	groupPatches int64
	storeWrites  int64
	dataWrites   int64
	heap         heapPeak
	wall         time.Duration
}

// sync runs one sync with the benchmark timer running only around
// engine.Run, and returns its costs. The caller has stopped the timer.
func (r *rig) sync(b *testing.B) result {
	b.Helper()
	return r.syncWith(b, engine.Request{})
}

// syncWith is sync with a request (sync --full).
func (r *rig) syncWith(b *testing.B, req engine.Request) result {
	b.Helper()
	ctx := context.Background()
	src, err := workspace.New(ctx, workspace.Config{
		Credentials:  r.key,
		AdminSubject: "admin@example.com",
		Endpoint:     r.dir.URL() + "/",
		QPM:          qpm,
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	counter := &patchCounter{base: http.DefaultTransport}
	tgt, err := scim.New(ctx, scim.Config{
		URL:        r.target.url,
		Token:      r.target.token,
		HTTPClient: &http.Client{Transport: counter},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rules, err := r.cfg.RunRules()
	if err != nil {
		b.Fatal(err)
	}
	eng := engine.New(rules, r.store, map[string]engine.Source{"corp": src}, map[string]engine.Target{"app": tgt}, engine.Options{Now: r.now})
	budget := r.budget()

	r.dir.ResetCounters()
	writes, data := r.bolt.Writes(), r.store.Count()
	sample := startHeapSampler()
	b.StartTimer()
	start := time.Now()
	job, err := eng.Run(ctx, req)
	wall := time.Since(start)
	b.StopTimer()
	peak := sample.stop()
	if err != nil {
		b.Fatalf("run: %v", err)
	}
	if job.Status != model.JobDone || job.Counts.Errors > 0 || job.Counts.Incomplete > 0 {
		b.Fatalf("job %s: status %s, counts %+v, held %v, errors %v; want done without errors", job.ID, job.Status, job.Counts, job.Held, job.Errors)
	}
	st := tgt.Stats()
	res := result{
		job:          job,
		sourceCalls:  r.dir.TotalRequests(),
		auditCalls:   r.dir.Requests(workspacetest.EndpointReports),
		budget:       budget,
		targetWrites: st.Writes,
		patches:      st.Requests[http.MethodPatch],
		groupPatches: counter.groups.Load(),
		storeWrites:  r.bolt.Writes() - writes,
		dataWrites:   r.store.Count() - data,
		heap:         peak,
		wall:         wall,
	}
	for _, n := range st.Requests {
		res.targetReqs += n
	}
	// A hinted run reads the audit log besides: its activities.list
	// pages come on top of a full read's budget.
	if hints := r.dir.Requests(workspacetest.EndpointReports); res.sourceCalls-hints > budget {
		b.Errorf("Directory API calls: got %d (and %d audit log pages), want at most the paging budget %d", res.sourceCalls-hints, hints, budget)
	}
	return res
}

// budget is the fewest Directory API calls a full read of the rule can
// take with the API's page caps: ceil(G/200) groups.list pages, one
// members.list page per 200 members of each group read, and ceil(U/500)
// users.list pages.
func (r *rig) budget() int64 {
	org := r.dir.Org()
	n := ceilDiv(len(org.Groups), 200) + ceilDiv(len(org.Users), 500)
	for _, g := range org.Groups {
		if strings.EqualFold(g.Email, "all-staff@example.com") {
			continue
		}
		n += max(1, ceilDiv(len(g.Members), 200))
	}
	return int64(n)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// patchCounter counts the PATCH requests sent to groups, as they leave the
// client: membership changes, which the design batches at most 100 a PATCH.
type patchCounter struct {
	base   http.RoundTripper
	groups atomic.Int64
}

func (c *patchCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && strings.Contains(req.URL.Path, "/Groups/") {
		c.groups.Add(1)
	}
	return c.base.RoundTrip(req)
}
