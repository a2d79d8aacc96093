// Package workspace writes users, groups and memberships to Google
// Workspace through the Admin SDK Directory API, as the `workspace` target
// type. It implements the engine's Target and Checker.
//
// It connects as the Workspace source does (domain-wide delegation with a
// key or keyless, one pacer per admin subject shared with any source of the
// same domain, the same retries), with the read-write scopes. Users it
// creates carry the source ID in externalIds (type custom, customType
// groupsync), so a renamed user is found again by it. Groups have no
// externalIds: the engine finds them through its ownership records and
// passes their IDs; the description of a group groupsync created names the
// source ID only so that a 409 after a retried insert is recognised.
// Primary emails come from templates over the source object. Membership
// changes go through the batch endpoint, up to 1,000 calls per request,
// each call's answer checked on its own.
package workspace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"text/template"
	"time"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	wsource "github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/target"
)

// Scopes is what the target requests: read-write users, groups and
// memberships.
var Scopes = []string{
	admin.AdminDirectoryUserScope,
	admin.AdminDirectoryGroupScope,
	admin.AdminDirectoryGroupMemberScope,
}

// Defaults.
const (
	// DefaultBatchSize and MaxBatchSize: Google's batch endpoint takes at
	// most 1,000 calls.
	DefaultBatchSize = 1000
	MaxBatchSize     = 1000
	// DefaultBatchURL is the Directory API's batch endpoint.
	DefaultBatchURL = "https://www.googleapis.com/batch/admin/directory_v1"
	// DefaultEmailTemplate keeps the local part and maps the domain.
	DefaultEmailTemplate = "{{.LocalPart}}@{{.Domain}}"
)

// Config configures a Target.
type Config struct {
	// Directory is the connection, as for the source: customer, admin
	// subject, credentials, endpoint, token URL, QPM and retry tuning.
	// Its Scopes are replaced by the read-write Scopes.
	Directory wsource.Config
	// UserEmail and GroupEmail are text/template primary-email templates
	// over EmailData (default DefaultEmailTemplate).
	UserEmail, GroupEmail string
	// DomainMap maps a source domain to a target domain; the templates
	// see the mapped domain as .Domain.
	DomainMap map[string]string
	// OrgUnit is the org unit path of created users (default "/").
	OrgUnit string
	// BatchSize caps the membership calls per batch request (default and
	// most: 1,000).
	BatchSize int
	// BatchURL overrides the batch endpoint (default: DefaultBatchURL, or
	// the endpoint override + "batch/admin/directory_v1").
	BatchURL string
}

// Target is a Google Workspace domain. It is safe for concurrent use.
type Target struct {
	conn       *wsource.Source
	svc        *admin.Service
	hc         *http.Client
	pacer      *wsource.Pacer
	customer   string
	userEmail  *template.Template
	groupEmail *template.Template
	domainMap  map[string]string
	orgUnit    string
	batch      int
	batchURL   string
	minBackoff time.Duration
	maxBackoff time.Duration
	attempts   int
	log        *slog.Logger
}

// New returns a Target. It makes no API call; Check tests the connection.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Target, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchSize < 0 || cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("workspace target: batch size %d is not between 1 and %d", cfg.BatchSize, MaxBatchSize)
	}
	ue, err := ParseEmailTemplate(cmp.Or(cfg.UserEmail, DefaultEmailTemplate))
	if err != nil {
		return nil, fmt.Errorf("workspace target: user_email: %w", err)
	}
	ge, err := ParseEmailTemplate(cmp.Or(cfg.GroupEmail, DefaultEmailTemplate))
	if err != nil {
		return nil, fmt.Errorf("workspace target: group_email: %w", err)
	}
	dc := cfg.Directory
	dc.Scopes = Scopes
	conn, err := wsource.New(ctx, dc, logger)
	if err != nil {
		return nil, fmt.Errorf("workspace target: %w", err)
	}
	api, batchURL := wsource.DirectoryAPI, DefaultBatchURL
	if dc.Endpoint != "" {
		api = strings.TrimRight(dc.Endpoint, "/") + "/"
		batchURL = api + "batch/admin/directory_v1"
	}
	t := &Target{
		conn:       conn,
		svc:        conn.Directory(),
		hc:         conn.HTTPClient(),
		pacer:      wsource.SharedPacer(api, dc.AdminSubject, dc.QPM),
		customer:   cmp.Or(dc.Customer, "my_customer"),
		userEmail:  ue,
		groupEmail: ge,
		domainMap:  map[string]string{},
		orgUnit:    cmp.Or(cfg.OrgUnit, "/"),
		batch:      cmp.Or(cfg.BatchSize, DefaultBatchSize),
		batchURL:   cmp.Or(cfg.BatchURL, batchURL),
		minBackoff: cmp.Or(dc.MinBackoff, 500*time.Millisecond),
		maxBackoff: cmp.Or(dc.MaxBackoff, 32*time.Second),
		attempts:   cmp.Or(dc.MaxAttempts, 8),
		log:        logger,
	}
	for from, to := range cfg.DomainMap {
		t.domainMap[strings.ToLower(strings.TrimSpace(from))] = strings.ToLower(strings.TrimSpace(to))
	}
	return t, nil
}

// Check obtains a delegated token with the read-write scopes and reads one
// group and one user. A failure is a *workspace.CheckError (of the source
// package) that says what an administrator must change.
func (t *Target) Check(ctx context.Context) error {
	return t.conn.Check(ctx)
}

// Calls returns how many Directory API requests the Target has made,
// retries included (a batch request counts once).
func (t *Target) Calls() int64 { return t.conn.Calls() }

// statusOf returns the HTTP status of a Directory API error, or 0.
func statusOf(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// notFound wraps target.ErrNotFound for a 404, or returns err.
func notFound(err error) error {
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("%w: %w", target.ErrNotFound, err)
	}
	return err
}
