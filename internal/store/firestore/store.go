// Package firestore is the cloud groupsync store: the engine's store on
// Cloud Firestore (native mode). Its layout:
//
//	rules/{rule}                                 rule state
//	rules/{rule}/groups/{groupID}                snapshot header
//	rules/{rule}/groups/{groupID}/chunks/{n}     member IDs, chunkSize per doc
//	rules/{rule}/owned/{kind}:{sourceID}         ownership record
//	jobs/{job}                                   job
//	jobs/{job}/groups/{rule}:{groupID}           group result
//	jobs/{job}/runs/{rule}                       rule run
//	jobs/{job}/staged/{rule}                     count of the rule's staged reads
//	jobs/{job}/staged/{rule}/groups/{groupID}    staged read of a group
//	jobs/{job}/held/{rule}                       gated plan (held, passed, approved…)
//	leases/{key}                                 holder and expiry
//
// Document IDs are the keys escaped by docID, since IDs cannot contain '/'.
// Snapshot headers, chunks, ownership records and rule state use plain
// fields so that other applications can read groups from the store; jobs,
// results, runs, staged reads and plans are JSON, spilled into a parts
// subcollection when large.
//
// Jobs and every document under them, their parts and leases carry an
// `expires` timestamp: deployments set TTL policies on the collection
// groups jobs, groups (snapshot headers have no expires, so only results
// and staged reads go), runs, staged, held, parts and leases. Single-field
// index exemptions for chunks.ids, json and parts.data save write cost; no
// composite index is needed.
//
// Every mutation is a transaction that reads first and writes nothing when
// the stored value is already the same, so an unchanged group costs no
// writes.
package firestore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultJobRetention is how long jobs, their results and held plans are
// kept unless GROUPSYNC_JOB_TTL_DAYS or SetJobRetention says otherwise: the
// `expires` field that the TTL policy acts on is set this far after a job's
// start.
const DefaultJobRetention = 90 * 24 * time.Hour

// JobTTLEnv is the variable Terraform sets on the functions to the number
// of days jobs are kept.
const JobTTLEnv = "GROUPSYNC_JOB_TTL_DAYS"

// Collection names.
const (
	colRules  = "rules"
	colGroups = "groups"
	colChunks = "chunks"
	colOwned  = "owned"
	colJobs   = "jobs"
	colHeld   = "held"
	colRuns   = "runs"
	colStaged = "staged"
	colLeases = "leases"
	colParts  = "parts"
	// colPlanChunks holds a gated plan's chunks under its held document.
	colPlanChunks = "planchunks"
)

// errUnchanged rolls back a transaction that found nothing to change, so it
// commits nothing and does not count as a write.
var errUnchanged = errors.New("unchanged")

// hotAttempts bounds retries of transactions on documents that many
// workers update at once (a job), where aborts under contention are normal.
const hotAttempts = 30

// Store is a groupsync store backed by Firestore. It is safe for concurrent
// use.
type Store struct {
	c      *firestore.Client
	writes atomic.Int64
	// now is the lease clock; tests replace it.
	now func() time.Time
	// retention is how far after its start a job expires.
	retention time.Duration
	// locks serialize this process's transactions on one hot document.
	locks [64]sync.Mutex
}

// lock locks the stripe of key and returns its unlock.
func (s *Store) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// New opens the store in a project's database ("" means "(default)"). The
// client honours FIRESTORE_EMULATOR_HOST, and job retention is read from
// GROUPSYNC_JOB_TTL_DAYS (whole days) when set.
func New(ctx context.Context, projectID, databaseID string, opts ...option.ClientOption) (*Store, error) {
	if projectID == "" {
		projectID = firestore.DetectProjectID
	}
	if databaseID == "" {
		databaseID = firestore.DefaultDatabaseID
	}
	c, err := firestore.NewClientWithDatabase(ctx, projectID, databaseID, opts...)
	if err != nil {
		return nil, fmt.Errorf("firestore store: %w", err)
	}
	s := &Store{c: c, now: time.Now, retention: DefaultJobRetention}
	if v := os.Getenv(JobTTLEnv); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 {
			c.Close()
			return nil, fmt.Errorf("firestore store: %s=%q: want a whole number of days, at least 1", JobTTLEnv, v)
		}
		s.retention = time.Duration(days) * 24 * time.Hour
	}
	return s, nil
}

// SetJobRetention sets how long jobs created or updated from now on are
// kept before the TTL policy may delete them. Call it before use.
func (s *Store) SetJobRetention(d time.Duration) {
	s.retention = d
}

// Open opens the store named by a config URL,
// firestore://projects/P/databases/D.
func Open(ctx context.Context, rawURL string, opts ...option.ClientOption) (*Store, error) {
	project, db, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return New(ctx, project, db, opts...)
}

// ParseURL splits firestore://projects/P/databases/D into its project and
// database IDs.
func ParseURL(rawURL string) (projectID, databaseID string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("firestore store URL %q: %w", rawURL, err)
	}
	parts := strings.Split(u.Host+u.Path, "/")
	if u.Scheme != "firestore" || len(parts) != 4 || parts[0] != "projects" || parts[2] != "databases" || parts[1] == "" || parts[3] == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("firestore store URL %q: want firestore://projects/PROJECT/databases/DATABASE", rawURL)
	}
	return parts[1], parts[3], nil
}

// Close closes the client.
func (s *Store) Close() error {
	return s.c.Close()
}

// Writes returns the number of committed transactions that wrote something
// since New. Tests use it to prove that an unchanged group costs nothing.
func (s *Store) Writes() int64 {
	return s.writes.Load()
}

// update runs fn in a read-write transaction and counts the commit. fn
// returns errUnchanged to commit nothing.
func (s *Store) update(ctx context.Context, fn func(context.Context, *firestore.Transaction) error, opts ...firestore.TransactionOption) error {
	err := s.c.RunTransaction(ctx, fn, opts...)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return err
	}
	s.writes.Add(1)
	return nil
}

// view runs fn in a read-only transaction, for consistent multi-document
// reads.
func (s *Store) view(ctx context.Context, fn func(context.Context, *firestore.Transaction) error) error {
	return s.c.RunTransaction(ctx, fn, firestore.ReadOnly)
}

// get reads a document inside tx; nil with no error when it does not exist.
func get(tx *firestore.Transaction, ref *firestore.DocumentRef) (*firestore.DocumentSnapshot, error) {
	snap, err := tx.Get(ref)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return snap, nil
}

func isNotFound(err error) bool {
	return status.Code(err) == codes.NotFound
}

// docID escapes a key into a valid, readable document ID. Letters, digits
// and "-._@+~" stay as they are and everything else becomes %XX, so '/'
// never appears and ':' is free to join escaped parts. IDs that Firestore
// reserves ("", ".", "..", "__x__") get their first byte escaped too.
func docID(key string) string {
	if key == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._@+~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	id := b.String()
	if id == "." || id == ".." || (len(id) >= 4 && strings.HasPrefix(id, "__") && strings.HasSuffix(id, "__")) {
		id = fmt.Sprintf("%%%02X", id[0]) + id[1:]
	}
	return id
}

// pairID names a document by two keys.
func pairID(a, b string) string {
	return docID(a) + ":" + docID(b)
}

func required(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	return nil
}

// ts normalizes a time to what Firestore stores (UTC, microseconds), so
// fingerprints of a value read back and of the value written agree.
func ts(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
