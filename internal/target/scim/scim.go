// Package scim writes users and groups to a SCIM 2.0 service provider. It
// implements the engine's Target and Checker.
//
// The client is built for the strictest providers (AWS IAM Identity Center,
// GitHub EMU, Atlassian, Slack, Entra-style servers): it reads
// /ServiceProviderConfig and adapts to PATCH, ETag and page-size support;
// looks objects up by filter before creating them; keys objects on the SCIM
// id and externalId; changes membership with PATCH diffs of at most
// BatchSize members; and treats re-adding a member or removing a non-member
// as done. Groups are created with displayName = the source group's email,
// because it is unique where names are not.
package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultBatchSize is the number of membership changes sent in one PATCH:
// the limit of AWS IAM Identity Center, the strictest provider.
const DefaultBatchSize = 100

// Config configures a Target.
type Config struct {
	// URL is the SCIM base URL, e.g. https://app.example.com/scim/v2.
	URL string
	// Token is the bearer token itself (the resolved secret, not a
	// reference). It is never logged nor put in errors.
	Token string
	// BatchSize caps membership changes per PATCH (default 100).
	BatchSize int
	// RPM paces all requests to this many a minute (0: no pacing).
	RPM int
	// HTTPClient sends the requests (default: a client with a 60s timeout).
	HTTPClient *http.Client

	// MaxRetries caps the retries of one request after 429, 5xx or a
	// network error (default 5).
	MaxRetries int
	// MinBackoff is the first retry's wait, doubled on each retry
	// (default 500ms).
	MinBackoff time.Duration
	// MaxBackoff caps any single wait, Retry-After included (default 60s).
	MaxBackoff time.Duration
}

// Target is a SCIM 2.0 service provider. It is safe for concurrent use.
type Target struct {
	base    *url.URL
	token   string
	batch   int
	client  *http.Client
	logger  *slog.Logger
	limiter *rate.Limiter

	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration

	// discoverMu serialises reading the ServiceProviderConfig.
	discoverMu sync.Mutex
	// enterpriseOnce guards hasEnterprise: whether /ResourceTypes
	// advertises the enterprise user extension (see enterprise).
	enterpriseOnce sync.Once
	hasEnterprise  bool

	mu sync.Mutex
	// caps is nil until the ServiceProviderConfig has been read.
	caps *capabilities
	// pauseUntil holds every request back after a 429: the provider's
	// budget is per tenant, not per request.
	pauseUntil time.Time
	// removeByValue is set once the server rejected members[value eq …]
	// paths and accepted a members value array instead.
	removeByValue bool
	stats         Stats
	groupLocks    map[string]*groupLock

	// users and groups index the target's existing objects for a job's
	// creates (index.go).
	users, groups index
}

// New returns a Target for cfg. It does no I/O: the ServiceProviderConfig is
// read on first use, so that a target that is down fails the calls that need
// it (and `groupsync check` can say why) rather than construction.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Target, error) {
	_ = ctx
	if cfg.URL == "" {
		return nil, errors.New("scim: URL is empty")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("scim: bad URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("scim: URL %q must be http(s)://host/…", cfg.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("scim: URL %q must not have a query or fragment", cfg.URL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if cfg.Token == "" {
		return nil, errors.New("scim: token is empty")
	}
	if cfg.BatchSize < 0 || cfg.RPM < 0 || cfg.MaxRetries < 0 {
		return nil, errors.New("scim: BatchSize, RPM and MaxRetries must not be negative")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := &Target{
		base:       u,
		token:      cfg.Token,
		batch:      cfg.BatchSize,
		client:     cfg.HTTPClient,
		logger:     logger.With("target", u.Host),
		maxRetries: cfg.MaxRetries,
		minBackoff: cfg.MinBackoff,
		maxBackoff: cfg.MaxBackoff,
		groupLocks: make(map[string]*groupLock),
	}
	if t.batch == 0 {
		t.batch = DefaultBatchSize
	}
	if t.client == nil {
		t.client = &http.Client{Timeout: 60 * time.Second}
	}
	if t.maxRetries == 0 {
		t.maxRetries = 5
	}
	if t.minBackoff <= 0 {
		t.minBackoff = 500 * time.Millisecond
	}
	if t.maxBackoff <= 0 {
		t.maxBackoff = 60 * time.Second
	}
	if cfg.RPM > 0 {
		t.limiter = rate.NewLimiter(rate.Every(time.Minute/time.Duration(cfg.RPM)), 1)
	}
	return t, nil
}

// Stats counts the HTTP requests a Target sent, retries included.
type Stats struct {
	// Requests by method: GET, POST, PATCH, PUT, DELETE.
	Requests map[string]int
	// Writes is the number of write operations: POST, PATCH, PUT and
	// DELETE requests, except that a Bulk request counts each of its
	// operations, not itself.
	Writes int
	// Retries is the number of requests that repeated an earlier one
	// after 429, 5xx or a network error.
	Retries int
}

// Stats returns a copy of the request counters.
func (t *Target) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Requests = make(map[string]int, len(t.stats.Requests))
	for k, v := range t.stats.Requests {
		s.Requests[k] = v
	}
	return s
}

func (t *Target) count(method string, retry bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stats.Requests == nil {
		t.stats.Requests = make(map[string]int)
	}
	t.stats.Requests[method]++
	if method != http.MethodGet {
		t.stats.Writes++
	}
	if retry {
		t.stats.Retries++
	}
}

// groupLock serialises writes to one group: concurrent PATCHes to a group
// lose members on some servers.
type groupLock struct {
	ch   chan struct{}
	refs int
}

// lockGroup waits for the group's lock and returns its release.
func (t *Target) lockGroup(ctx context.Context, id string) (func(), error) {
	t.mu.Lock()
	l := t.groupLocks[id]
	if l == nil {
		l = &groupLock{ch: make(chan struct{}, 1)}
		t.groupLocks[id] = l
	}
	l.refs++
	t.mu.Unlock()
	release := func() {
		t.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(t.groupLocks, id)
		}
		t.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
