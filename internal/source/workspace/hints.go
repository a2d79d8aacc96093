package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	reports "google.golang.org/api/admin/reports/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/groupsync/groupsync/internal/model"
)

// AuditScope is the delegated scope change hints need. It is asked for in
// a token of its own: a token request naming a scope the delegation does
// not grant is refused whole, and the directory reads must not depend on
// it.
const AuditScope = reports.AdminReportsAuditReadonlyScope

// AuditOverlap is how far before the last watermark each poll starts
// again: Google's audit log lists an event minutes (rarely hours) after
// it happened, so a window read once must be read again later. Events
// read twice only name a group twice.
const AuditOverlap = 15 * time.Minute

// HintOverlap is AuditOverlap: a Source is an engine.HintSource.
func (s *Source) HintOverlap() time.Duration { return AuditOverlap }

// ErrNoAuditScope is wrapped by Hints when the delegation does not grant
// AuditScope: the caller falls back to full reads and says so.
var ErrNoAuditScope = errors.New("the delegation does not grant " + AuditScope)

// hintApps are the audit applications read: admin console and API
// changes, and owners' edits of their own groups.
var hintApps = []string{"admin", "groups_enterprise"}

// auditClient is the Reports API client, built on first use with its own
// token (AuditScope only), over the same paced, retrying transport.
type auditClient struct {
	once sync.Once
	svc  *reports.Service
	err  error
}

func (s *Source) reports(ctx context.Context) (*reports.Service, error) {
	s.audit.once.Do(func() {
		cfg := s.cfg
		cfg.Scopes = []string{AuditScope}
		sub, err := New(ctx, cfg, s.log)
		if err != nil {
			s.audit.err = err
			return
		}
		opts := []option.ClientOption{option.WithHTTPClient(sub.hc)}
		if s.cfg.Endpoint != "" {
			opts = append(opts, option.WithEndpoint(withSlash(s.cfg.Endpoint)))
		}
		s.audit.svc, s.audit.err = reports.NewService(ctx, opts...)
	})
	return s.audit.svc, s.audit.err
}

// Hints reads the audit log's group and user events in [since, until) and
// returns the groups and users they name. Events that hints cannot follow
// safely (a group deleted, a group added to or removed from another
// group: its parents' flattened members change without an event naming
// them) set Full.
func (s *Source) Hints(ctx context.Context, since, until time.Time) (model.Hints, error) {
	svc, err := s.reports(ctx)
	if err != nil {
		return model.Hints{}, fmt.Errorf("workspace: audit client: %w", err)
	}
	h := model.Hints{Until: until}
	groups, users := map[string]bool{}, map[string]bool{}
	for _, app := range hintApps {
		call := svc.Activities.List("all", app).
			StartTime(since.UTC().Format(time.RFC3339Nano)).
			EndTime(until.UTC().Format(time.RFC3339Nano)).
			MaxResults(1000)
		err := call.Pages(ctx, func(page *reports.Activities) error {
			for _, a := range page.Items {
				for _, ev := range a.Events {
					hintEvent(&h, groups, users, ev)
				}
			}
			return nil
		})
		if err != nil {
			return model.Hints{}, auditError(app, err)
		}
	}
	h.Groups, h.Users = sortedKeys(groups), sortedKeys(users)
	return h, nil
}

// hintEvent adds what one audit event names.
func hintEvent(h *model.Hints, groups, users map[string]bool, ev *reports.ActivityEvents) {
	p := map[string]string{}
	for _, kv := range ev.Parameters {
		p[strings.ToLower(kv.Name)] = strings.ToLower(kv.Value)
	}
	add := func(set map[string]bool, keys ...string) {
		for _, k := range keys {
			if v := p[k]; v != "" {
				set[v] = true
			}
		}
	}
	switch name := strings.ToUpper(ev.Name); name {
	case "DELETE_GROUP":
		h.Full, h.Reason = true, "a group was deleted"
	case "ADD_GROUP_MEMBER", "REMOVE_GROUP_MEMBER", "UPDATE_GROUP_MEMBER", "ADD_MEMBER", "REMOVE_MEMBER":
		add(groups, "group_email", "group_id")
		add(users, "user_email", "member_id")
		// A group among the members changes its parents' flattened
		// membership, and no event names them.
		if strings.EqualFold(p["member_type"], "group") {
			h.Full, h.Reason = true, "a group was nested or un-nested"
		}
	case "CREATE_GROUP", "CHANGE_GROUP_NAME", "CHANGE_GROUP_EMAIL", "CHANGE_GROUP_SETTING", "ADD_GROUP_ALIAS", "REMOVE_GROUP_ALIAS":
		add(groups, "group_email", "group_id", "new_value")
	case "UNSUSPEND_USER", "UNDELETE_USER":
		// The user's groups take them back without an event naming a
		// group, and snapshots do not list suspended members.
		add(users, "user_email", "new_value")
		h.Full, h.Reason = true, "a user was unsuspended or restored"
	case "CREATE_USER", "RENAME_USER", "SUSPEND_USER", "DELETE_USER",
		"CHANGE_FIRST_NAME", "CHANGE_LAST_NAME", "CHANGE_USER_NAME":
		add(users, "user_email", "new_value")
	}
}

// auditError says why the audit log could not be read; a refused scope
// wraps ErrNoAuditScope.
func auditError(app string, err error) error {
	var ge *googleapi.Error
	if errors.As(err, &ge) && (ge.Code == http.StatusForbidden || ge.Code == http.StatusUnauthorized) {
		return fmt.Errorf("workspace: read the %s audit log: %w: %w", app, ErrNoAuditScope, err)
	}
	if strings.Contains(err.Error(), "unauthorized_client") {
		return fmt.Errorf("workspace: read the %s audit log: %w: %w", app, ErrNoAuditScope, err)
	}
	return fmt.Errorf("workspace: read the %s audit log: %w", app, err)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
