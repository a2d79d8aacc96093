package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/emulator"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/idtoken"
	"github.com/groupsync/groupsync/internal/idtoken/idtokentest"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

func TestMain(m *testing.M) { emulator.Main(m) }

const (
	testAudience = "https://europe-west1-p.cloudfunctions.net/groupsync-sync"
	testCaller   = "ops@example.com"
)

// functionServers are the three functions, each served by funcframework
// on its own 127.0.0.1 port with FUNCTION_TARGET set, as Cloud Functions
// serves them: the function answers every path, so a push endpoint can
// carry projects/P/topics/T, from which the framework takes the topic when
// it converts the emulator's legacy push body to a CloudEvent.
var functionServers struct {
	once sync.Once
	urls map[string]string
	err  error
}

func startFunctions(t *testing.T) map[string]string {
	t.Helper()
	functionServers.once.Do(func() {
		functionServers.urls = map[string]string{}
		old, had := os.LookupEnv("FUNCTION_TARGET")
		defer func() {
			if had {
				os.Setenv("FUNCTION_TARGET", old)
			} else {
				os.Unsetenv("FUNCTION_TARGET")
			}
		}()
		for _, name := range []string{"Dispatch", "SyncGroup", "Sync"} {
			port, err := freePort()
			if err != nil {
				functionServers.err = err
				return
			}
			os.Setenv("FUNCTION_TARGET", name)
			errc := make(chan error, 1)
			// funcframework has no shutdown: the servers live as long as
			// the test binary.
			go func() { errc <- funcframework.StartHostPort("127.0.0.1", port) }()
			addr := "127.0.0.1:" + port
			if err := waitListening(addr, errc); err != nil {
				functionServers.err = fmt.Errorf("start %s: %w", name, err)
				return
			}
			functionServers.urls[name] = "http://" + addr
		}
	})
	if functionServers.err != nil {
		t.Fatal(functionServers.err)
	}
	return functionServers.urls
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// waitListening waits until addr accepts connections: funcframework reads
// FUNCTION_TARGET before it listens, so the next server may then be set up.
func waitListening(addr string, errc <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			return err
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s is not listening", addr)
}

// pushProxy forwards Pub/Sub pushes to a function and counts the
// deliveries it acknowledged (2xx), so the test knows when redelivered
// messages have been handled.
type pushProxy struct {
	srv   *httptest.Server
	acked atomic.Int64
}

func newPushProxy(t *testing.T, target string) *pushProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &pushProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.StatusCode/100 == 2 {
			p.acked.Add(1)
		}
		return nil
	}
	p.srv = httptest.NewServer(rp)
	t.Cleanup(p.srv.Close)
	return p
}

// e2e is one deployment: emulators, fakes, functions and subscriptions.
type e2e struct {
	project  string
	dir      *workspacetest.Server
	scim     *scimtest.Server
	issuer   *idtokentest.Server
	funcs    map[string]string
	ps       *pubsub.Client
	dispatch *pushProxy
	groups   *pushProxy
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	fsHost := emulator.Firestore(t)
	psHost := emulator.PubSub(t)
	e := &e2e{
		project: emulator.ProjectID(t),
		dir:     workspacetest.NewServer(workspacetest.SmallOrg()),
		scim:    scimtest.NewServer(scimtest.Options{}),
		issuer:  idtokentest.NewServer(),
		funcs:   startFunctions(t),
	}
	t.Cleanup(e.dir.Close)
	t.Cleanup(e.scim.Close)
	t.Cleanup(e.issuer.Close)

	tmp := t.TempDir()
	key := filepath.Join(tmp, "dwd-key.json")
	tok := filepath.Join(tmp, "scim-token")
	if err := os.WriteFile(key, e.dir.ServiceAccountKey("groupsync@fake-project.iam.gserviceaccount.com"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, []byte(e.scim.Token()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(emulator.FirestoreHostEnv, fsHost)
	t.Setenv(emulator.PubSubHostEnv, psHost)
	t.Setenv(envProject, e.project)
	t.Setenv(envAudience, testAudience)
	t.Setenv(envAllowedCallers, "scheduler@p.iam.gserviceaccount.com, "+testCaller)
	t.Setenv(envConfigYAML, fmt.Sprintf(`store: firestore://projects/%s/databases/(default)
sources:
  corp:
    type: workspace
    admin_subject: admin@example.com
    credentials: file://%s
    endpoint: %s
    token_url: %s
    qpm: 600000
targets:
  app:
    type: scim
    url: %s
    token: file://%s
rules:
  - name: all
    source: corp
    target: app
`, e.project, key, e.dir.URL(), e.dir.TokenURL(), e.scim.URL(), tok))
	verifierOptions = idtoken.Options{JWKSURL: e.issuer.JWKSURL()}
	resetRuntime()
	t.Cleanup(func() {
		resetRuntime()
		verifierOptions = idtoken.Options{}
	})

	ctx := t.Context()
	ps, err := pubsub.NewClient(ctx, e.project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	e.ps = ps
	e.dispatch = newPushProxy(t, e.funcs["Dispatch"])
	e.groups = newPushProxy(t, e.funcs["SyncGroup"])
	for _, topic := range []string{topicRuns, topicGroups, topicChanges, topicJobs} {
		if _, err := ps.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: e.topic(topic)}); err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	// Push subscriptions stand in for the Eventarc triggers; the tap-*
	// pull subscriptions let the test read what was published.
	e.subscribe(t, "dispatch", topicRuns, e.dispatch.srv.URL)
	e.subscribe(t, "sync-group", topicGroups, e.groups.srv.URL)
	e.subscribe(t, "tap-runs", topicRuns, "")
	e.subscribe(t, "tap-groups", topicGroups, "")
	e.subscribe(t, "tap-changes", topicChanges, "")
	e.subscribe(t, "tap-jobs", topicJobs, "")
	return e
}

func (e *e2e) topic(name string) string { return "projects/" + e.project + "/topics/" + name }

func (e *e2e) subscribe(t *testing.T, name, topic, pushBase string) {
	t.Helper()
	sub := &pubsubpb.Subscription{
		Name:               "projects/" + e.project + "/subscriptions/" + name,
		Topic:              e.topic(topic),
		AckDeadlineSeconds: 60,
	}
	if pushBase != "" {
		sub.PushConfig = &pubsubpb.PushConfig{PushEndpoint: pushBase + "/" + e.topic(topic)}
	}
	if _, err := e.ps.SubscriptionAdminClient.CreateSubscription(t.Context(), sub); err != nil {
		t.Fatalf("create subscription %s: %v", name, err)
	}
}

// pull receives n messages from a pull subscription.
func (e *e2e) pull(t *testing.T, sub string, n int) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var out [][]byte
	err := e.ps.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		out = append(out, m.Data)
		if len(out) >= n {
			cancel()
		}
	})
	if err != nil && ctx.Err() == nil {
		t.Fatalf("receive %s: %v", sub, err)
	}
	if len(out) < n {
		t.Fatalf("%s: received %d messages, want %d", sub, len(out), n)
	}
	return out
}

func (e *e2e) call(t *testing.T, method, target, token string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.funcs["Sync"]+target, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// waitJob polls the HTTP function until the job has finished.
func (e *e2e) waitJob(t *testing.T, id string) httpapi.JobView {
	t.Helper()
	tok := e.issuer.Token(testAudience, testCaller)
	var v httpapi.JobView
	waitFor(t, "job "+id+" to finish", func() bool {
		resp, body := e.call(t, http.MethodGet, "/?job="+url.QueryEscape(id), tok, nil)
		if resp.StatusCode == http.StatusNotFound {
			return false // not dispatched yet
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET job: %s %s", resp.Status, body)
		}
		v = httpapi.JobView{}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v.Job.Status != model.JobRunning
	})
	return v
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// targetMembers reads every SCIM group as a client would and returns its
// members as source user IDs, keyed by the group's externalId.
func (e *e2e) targetMembers(t *testing.T) (members map[string][]string, scimIDs map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.scim.URL()+"/Groups?count=100", nil)
	req.Header.Set("Authorization", "Bearer "+e.scim.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Resources []struct {
			ID         string `json:"id"`
			ExternalID string `json:"externalId"`
		} `json:"Resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	members, scimIDs = map[string][]string{}, map[string]string{}
	for _, g := range list.Resources {
		ids := []string{}
		for _, m := range e.scim.Members(g.ID) {
			u, ok := e.scim.User(m)
			if !ok {
				t.Fatalf("group %s has unknown member %s", g.ID, m)
			}
			ids = append(ids, u.ExternalID)
		}
		slices.Sort(ids)
		members[g.ExternalID] = ids
		scimIDs[g.ExternalID] = g.ID
	}
	return members, scimIDs
}

func (e *e2e) scimWrites() int {
	r := e.scim.Requests()
	return r[http.MethodPost] + r[http.MethodPatch] + r[http.MethodPut] + r[http.MethodDelete]
}

func TestEndToEnd(t *testing.T) {
	e := newE2E(t)
	tok := e.issuer.Token(testAudience, testCaller)

	// Authentication comes first.
	if resp, body := e.call(t, http.MethodPost, "/", "", strings.NewReader(`{}`)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without a token: got %s %s, want 401", resp.Status, body)
	}
	other := e.issuer.Token("https://attacker.example", testCaller)
	if resp, body := e.call(t, http.MethodPost, "/", other, strings.NewReader(`{}`)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a token for another audience: got %s %s, want 403", resp.Status, body)
	}
	if resp, body := e.call(t, http.MethodPost, "/", tok, strings.NewReader(`{"force":true}`)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST force: got %s %s, want 400", resp.Status, body)
	}

	// A manual sync converges the target.
	resp, body := e.call(t, http.MethodPost, "/", tok, strings.NewReader(`{}`))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST sync: %s %s", resp.Status, body)
	}
	var started httpapi.StartResponse
	if err := json.Unmarshal(body, &started); err != nil {
		t.Fatal(err)
	}
	v := e.waitJob(t, started.JobID)
	if v.Job.Status != model.JobDone || v.Job.Trigger != model.TriggerHTTP || v.Job.Done != 3 || v.Job.Total != 3 {
		t.Fatalf("job: got %s %s %d/%d (errors %v), want done http 3/3", v.Job.Status, v.Job.Trigger, v.Job.Done, v.Job.Total, v.Job.Errors)
	}
	want := map[string][]string{"g1": {"101", "102", "103"}, "g2": {"103"}, "g3": {"104", "105"}}
	got, _ := e.targetMembers(t)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("target groups (-want +got):\n%s", diff)
	}

	// Each group's additions were announced on groupsync-changes.
	changes := map[string][]string{}
	for _, b := range e.pull(t, "tap-changes", 3) {
		var ev model.ChangeEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.JobID != started.JobID || ev.Rule != "all" || len(ev.Removed) != 0 {
			t.Errorf("change event %+v: want job %s, rule all, no removals", ev, started.JobID)
		}
		changes[ev.GroupID] = slices.Sorted(slices.Values(ev.Added))
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("change events (-want +got):\n%s", diff)
	}

	// Redelivering every task changes nothing and counts nothing twice.
	tasks := e.pull(t, "tap-groups", 6) // a read and an apply per group
	writes, acked := e.scimWrites(), e.groups.acked.Load()
	groupsTopic := e.ps.Publisher(e.topic(topicGroups))
	defer groupsTopic.Stop()
	for _, b := range tasks {
		if _, err := groupsTopic.Publish(t.Context(), &pubsub.Message{Data: b}).Get(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "redelivered tasks to be acknowledged", func() bool { return e.groups.acked.Load() >= acked+6 })
	if got := e.scimWrites(); got != writes {
		t.Errorf("redelivery made %d SCIM writes, want 0", got-writes)
	}
	again := e.waitJob(t, started.JobID)
	if diff := cmp.Diff(v.Job, again.Job); diff != "" {
		t.Errorf("job after redelivery (-before +after):\n%s", diff)
	}

	// Redelivering the run message does not start a second job.
	// tap-runs holds the trigger and the rule's gate, users and finish
	// steps; the trigger is the one without a step.
	var trigger []byte
	for _, b := range e.pull(t, "tap-runs", 4) {
		if !bytes.Contains(b, []byte(`"step"`)) {
			trigger = b
		}
	}
	dispatched := e.dispatch.acked.Load()
	runsTopic := e.ps.Publisher(e.topic(topicRuns))
	defer runsTopic.Stop()
	if _, err := runsTopic.Publish(t.Context(), &pubsub.Message{Data: trigger}).Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "redelivered run to be acknowledged", func() bool { return e.dispatch.acked.Load() > dispatched })
	_, body = e.call(t, http.MethodGet, "/", tok, nil)
	var list struct{ Jobs []model.Job }
	if err := json.Unmarshal(body, &list); err != nil || len(list.Jobs) != 1 {
		t.Errorf("jobs after a redelivered run: %s (%v), want exactly one", body, err)
	}
}
