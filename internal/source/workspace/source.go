// Package workspace reads groups, their members and users from Google
// Workspace through the Admin SDK Directory API, as the `workspace` source
// type. It authenticates with domain-wide delegation (a service-account key
// or keyless signJwt), paces every call against the configured quota,
// retries rate limits and server errors, and flattens nested groups itself.
// A listing that cannot be read completely is reported as incomplete,
// never as a smaller group.
package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/option"
)

// Scopes is what the source requests: read-only groups and users.
var Scopes = []string{
	admin.AdminDirectoryGroupReadonlyScope,
	admin.AdminDirectoryUserReadonlyScope,
}

// Defaults.
const (
	DefaultQPM      = 2400
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	defaultCustomer = "my_customer"
)

// Config configures a Source. The registry builds it from config.Source,
// resolving secret references first.
type Config struct {
	// Customer is the customer ID to list, default "my_customer" (every
	// domain of the account).
	Customer string
	// ReadProfile reads the user fields mapping templates use
	// (organizations, externalIds, relations) into model.User.Profile,
	// and CustomSchemas those custom schemas (projection=custom).
	ReadProfile   bool
	CustomSchemas []string
	// Domain, when set, lists only that domain's groups.
	Domain string
	// AdminSubject is the admin user domain-wide delegation impersonates.
	AdminSubject string
	// Credentials is a service-account key file's JSON. Leave it empty
	// and set Keyless to sign through IAM Credentials instead.
	Credentials []byte
	// Keyless signs the delegation JWT with IAM Credentials signJwt as
	// ServiceAccount, using the runtime's application default credentials.
	Keyless        bool
	ServiceAccount string
	// Endpoint overrides the Directory API base URL
	// (https://admin.googleapis.com/) for tests and emulators.
	Endpoint string
	// TokenURL overrides the OAuth token endpoint (default: the key's
	// token_uri, or DefaultTokenURL when keyless).
	TokenURL string
	// IAMEndpoint overrides the IAM Credentials base URL for keyless
	// delegation. When set, signJwt calls are sent unauthenticated, as to
	// an emulator.
	IAMEndpoint string
	// QPM is the most Directory API calls a minute that the process
	// makes for this endpoint and admin subject (default 2,400). The
	// shared pacer (see SharedPacer) slows down below it when Google
	// refuses calls for quota, and recovers slowly.
	QPM int
	// HTTPClient provides the base transport (default
	// http.DefaultTransport with a response header timeout).
	HTTPClient *http.Client
	// Scopes are the delegated scopes to request (default Scopes, read
	// only); the Workspace target asks for read-write ones.
	Scopes []string

	// Retry tuning; zero values pick the defaults (8 attempts, 500ms
	// doubling up to 32s, with jitter). MaxAttempts bounds server and
	// network errors; quota refusals are retried until the request's
	// context ends, or for QuotaPatience (default DefaultQuotaPatience)
	// when it has no deadline.
	MaxAttempts   int
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	QuotaPatience time.Duration
	// CacheTTL is how long group listings and the user sweep are reused
	// (default 10 minutes). A Source is meant to serve one run.
	CacheTTL time.Duration
}

// Source reads a Google Workspace directory. It is safe for concurrent
// use; group listings and the user sweep are cached so that a group nested
// in many parents is read once per run.
type Source struct {
	cfg      Config
	log      *slog.Logger
	svc      *admin.Service
	ts       oauth2.TokenSource
	clientID string // for the delegation hint in Check
	hc       *http.Client
	calls    *atomic.Int64
	pacer    *Pacer

	mu       sync.Mutex
	listings map[string]*listing
	users    *userSweep

	// audit is the Reports API client of change hints (hints.go).
	audit auditClient
}

// New builds a Source. It makes no API call; use Check to test the
// credentials.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Source, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Customer == "" {
		cfg.Customer = defaultCustomer
	}
	if cfg.QPM <= 0 {
		cfg.QPM = DefaultQPM
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 32 * time.Second
	}
	if cfg.QuotaPatience <= 0 {
		cfg.QuotaPatience = DefaultQuotaPatience
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.AdminSubject == "" {
		return nil, errors.New("workspace: admin_subject is required for domain-wide delegation")
	}
	base := defaultBase()
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	api := DirectoryAPI
	if cfg.Endpoint != "" {
		api = withSlash(cfg.Endpoint)
	}
	s := &Source{
		cfg: cfg, log: logger, calls: new(atomic.Int64), listings: map[string]*listing{},
		pacer: SharedPacer(api, cfg.AdminSubject, cfg.QPM),
	}

	// Token requests retry server errors but are neither paced nor
	// counted: they do not spend Directory API quota.
	tokenHTTP := &http.Client{Transport: &retryTransport{
		base: base, calls: new(atomic.Int64), maxAttempts: cfg.MaxAttempts,
		minBackoff: cfg.MinBackoff, maxBackoff: cfg.MaxBackoff, quotaPatience: cfg.QuotaPatience, log: logger,
	}}
	var err error
	switch {
	case cfg.Keyless:
		s.ts, err = keylessTokenSource(ctx, cfg, tokenHTTP)
		s.clientID = "the unique ID (OAuth client ID) of " + cfg.ServiceAccount
	case len(cfg.Credentials) > 0:
		s.ts, s.clientID, err = keyTokenSource(ctx, cfg, tokenHTTP)
	default:
		err = errors.New("no credentials: give a service-account key or use keyless")
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}

	dir := &retryTransport{
		base: base, pacer: s.pacer, calls: s.calls, maxAttempts: cfg.MaxAttempts,
		minBackoff: cfg.MinBackoff, maxBackoff: cfg.MaxBackoff, quotaPatience: cfg.QuotaPatience, log: logger,
	}
	s.hc = &http.Client{Transport: &oauth2.Transport{Source: s.ts, Base: dir}}
	opts := []option.ClientOption{
		option.WithHTTPClient(s.hc),
	}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(withSlash(cfg.Endpoint)))
	}
	s.svc, err = admin.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("workspace: directory client: %w", err)
	}
	return s, nil
}

// Calls returns how many Directory API requests the Source has made,
// retries included.
func (s *Source) Calls() int64 { return s.calls.Load() }

// Pacing returns the state of the pacer the Source shares with every other
// user of its quota: the effective rate a job can record.
func (s *Source) Pacing() PacerStats { return s.pacer.Stats() }

func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}
