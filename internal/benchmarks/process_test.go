package benchmarks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// processSize is an organisation with a few very large groups, synced by
// the groupsync binary in its own process so that its peak RSS is the
// sync's alone (the fakes stay in the benchmark's process).
type processSize struct {
	size
	large, largeSize int
}

// Issue 13's size L: 100,000 users, 10,000 groups and three groups of
// 50,000 (1.37 million flattened memberships). M has the same shape at a
// fifth of the size.
var processSizes = []processSize{
	{size: size{name: "M", users: 20_000, groups: 2_000}, large: 3, largeSize: 10_000},
	{size: size{name: "L", users: 100_000, groups: 10_000}, large: 3, largeSize: 50_000},
}

// bulkOps is the Bulk maxOperations the fake SCIM server advertises here.
const bulkOps = 1000

// BenchmarkProcess runs `groupsync sync` as a child process, each scenario
// once (-benchtime=1x), with pacing off:
//
//   - Full: the initial sync of the whole organisation.
//   - FullNoChange: `sync --full` right after it.
//   - OneLargeGroup: `sync --group large-1@` against an empty target and
//     store: one group of largeSize members and its users.
//   - FullPaced: the initial sync again, into an empty target and store,
//     at the default 2,400 queries a minute: its wall time against the
//     quota-bound minimum (x-quota-min, Directory calls ÷ 40 a second).
//
// It reports the child's peak RSS (VmHWM, sampled every 20 ms), wall time, Directory
// calls and SCIM requests. Pacing is off but for FullPaced. L runs with
// GROUPSYNC_BENCH_L=1. GROUPSYNC_BENCH_CHILD_LOG=PREFIX keeps each child's
// stderr in PREFIX.SCENARIO (run with GODEBUG=gctrace=1 to see its heap).
func BenchmarkProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "groupsync")
	build := exec.Command("go", "build", "-o", bin, "github.com/groupsync/groupsync/cmd/groupsync")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sz := range processSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.name == "L" && os.Getenv("GROUPSYNC_BENCH_L") != "1" {
				b.Skip("size L runs with GROUPSYNC_BENCH_L=1")
			}
			org := workspacetest.Generate(seed, sz.users, sz.groups)
			org.AddLargeGroups(seed, sz.large, sz.largeSize)
			dir := workspacetest.NewServer(org)
			b.Cleanup(dir.Close)
			key := dir.ServiceAccountKey("groupsync@bench.iam.gserviceaccount.com")

			whole := newChild(b, bin, dir, key, qpm)
			whole.run(b, "Full")
			whole.run(b, "FullNoChange", "--full")
			one := newChild(b, bin, dir, key, qpm)
			one.run(b, "OneLargeGroup", "--group", "large-1@example.com")
			paced := newChild(b, bin, dir, key, config.DefaultQPM)
			paced.run(b, "FullPaced")
		})
	}
}

// child is a config, a store and an empty SCIM target for the binary.
type child struct {
	bin, cfg, token string
	qpm             int
	dir             *workspacetest.Server
	scim            *scimtest.Server
}

func newChild(b *testing.B, bin string, dir *workspacetest.Server, key []byte, qpm int) *child {
	b.Helper()
	tmp := b.TempDir()
	srv := scimtest.NewServer(scimtest.Options{BulkMaxOperations: bulkOps})
	b.Cleanup(srv.Close)
	if err := os.WriteFile(filepath.Join(tmp, "key.json"), key, 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(tmp, "groupsync.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, configYAML, dir.URL(), qpm, srv.URL()), 0o600); err != nil {
		b.Fatal(err)
	}
	return &child{bin: bin, cfg: cfg, token: srv.Token(), dir: dir, scim: srv, qpm: qpm}
}

// run runs one sync in the child process as a sub-benchmark.
func (c *child) run(b *testing.B, name string, args ...string) {
	b.Run(name, func(b *testing.B) {
		b.StopTimer()
		for range b.N {
			c.dir.ResetCounters()
			before := total(c.scim.Requests())
			bulk := len(c.scim.BulkRequests())
			cmd := exec.Command(c.bin, append([]string{"--config", c.cfg, "sync", "--json"}, args...)...)
			cmd.Dir = filepath.Dir(c.cfg)
			cmd.Env = append(os.Environ(), "GROUPSYNC_BENCH_TOKEN="+c.token)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			start := time.Now()
			b.StartTimer()
			err := cmd.Start()
			var peak rssPeak
			if err == nil {
				stop := peak.watch(cmd.Process.Pid)
				err = cmd.Wait()
				stop()
			}
			b.StopTimer()
			wall := time.Since(start)
			if f := os.Getenv("GROUPSYNC_BENCH_CHILD_LOG"); f != "" {
				// With GODEBUG=gctrace=1, the child's heap over time.
				if err := os.WriteFile(f+"."+name, errb.Bytes(), 0o644); err != nil {
					b.Log(err)
				}
			}
			var job model.Job
			if jerr := json.Unmarshal(out.Bytes(), &job); err != nil || jerr != nil {
				b.Fatalf("groupsync sync %v: %v %v\n%s", args, err, jerr, lastLines(errb.Bytes(), 20))
			}
			if job.Status != model.JobDone || job.Counts.Errors > 0 {
				b.Fatalf("job %s: status %s, counts %+v, errors %v; want done without errors", job.ID, job.Status, job.Counts, job.Errors)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			// Not ru.Maxrss: Linux carries the parent's high-water mark
			// across exec, and the parent holds both fakes.
			b.ReportMetric(float64(peak.hwm.Load())/1024, "peak-rss-MB")
			b.ReportMetric(float64(peak.anon.Load())/1024, "peak-anon-MB")
			b.ReportMetric(float64(peak.file.Load())/1024, "peak-file-MB")
			if st, err := os.Stat(filepath.Join(filepath.Dir(c.cfg), "groupsync.db")); err == nil {
				b.ReportMetric(float64(st.Size())/(1<<20), "store-MB")
			}
			b.ReportMetric(wall.Seconds(), "wall-s/op")
			b.ReportMetric(float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9, "cpu-s/op")
			calls := c.dir.TotalRequests()
			b.ReportMetric(float64(calls), "source-calls/op")
			// The quota-bound minimum: the calls at the configured
			// queries a minute, nothing else taking any time.
			floor := float64(calls) * 60 / float64(c.qpm)
			b.ReportMetric(wall.Seconds()/floor, "x-quota-min")
			b.ReportMetric(float64(total(c.scim.Requests())-before), "target-requests/op")
			b.ReportMetric(float64(len(c.scim.BulkRequests())-bulk), "bulk-requests/op")
			b.ReportMetric(float64(changes(job.Counts)), "changes/op")
			b.ReportMetric(float64(job.Counts.Groups), "groups")
		}
	})
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func changes(c model.Counts) int {
	return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
		c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
}

// lastLines is the tail of a child's stderr, for a failure message.
func lastLines(p []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}

// rssPeak is the child's resident high-water mark (VmHWM, its own since
// exec) and the largest anonymous (heap, stacks) and file-backed (the
// store's memory map) resident memory seen in its /proc status.
type rssPeak struct {
	hwm, anon, file atomic.Int64 // kB
}

// watch samples the process every 20 ms until stop is called.
func (p *rssPeak) watch(pid int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if data, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					f := strings.Fields(line)
					if len(f) < 2 {
						continue
					}
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					switch f[0] {
					case "RssAnon:":
						p.anon.Store(max(p.anon.Load(), kb))
					case "RssFile:":
						p.file.Store(max(p.file.Load(), kb))
					case "VmHWM:":
						p.hwm.Store(max(p.hwm.Load(), kb))
					}
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
