package workspacetest

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// EndpointReports counts Reports API activities.list requests.
const EndpointReports = "reports"

// reportsPath is the activities.list path for every user, before the
// application name.
const reportsPath = "/admin/reports/v1/activity/users/all/applications/"

// Audit applications the fake logs to, as the Reports API names them.
const (
	AppAdmin            = "admin"
	AppGroupsEnterprise = "groups_enterprise"
)

// AuditEvent is one entry of the fake's audit log, in the Reports API's
// terms: an application, an event type and name, and its parameters
// (GROUP_EMAIL, USER_EMAIL, NEW_VALUE for admin; group_id, member_id for
// groups_enterprise).
type AuditEvent struct {
	App    string
	Type   string
	Name   string
	Params map[string]string
	// Time is when the change happened; the event is listed from
	// Time + the audit lag on.
	Time time.Time
}

// audit is the log behind activities.list. It has its own lock: changes
// record events while holding the server's.
type audit struct {
	mu     sync.Mutex
	lag    time.Duration
	events []AuditEvent
}

// WithAuditLag delays every audit event's appearance in activities.list
// by lag after the change, as Google's audit pipeline does (minutes, at
// times hours).
func WithAuditLag(lag time.Duration) Option {
	return func(s *Server) { s.audit.lag = lag }
}

// SetClock makes the server read time from now: the audit log's event
// times and lag use it, so benchmarks can simulate minutes of lag. Token
// checks use it too, so keep it within minutes of the real time.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// RecordAudit appends an event to the audit log at the server's current
// time, for changes the fake's own methods do not record (owner edits in
// groups_enterprise, group creation).
func (s *Server) RecordAudit(ev AuditEvent) {
	if ev.Time.IsZero() {
		s.mu.Lock()
		ev.Time = s.now()
		s.mu.Unlock()
	}
	s.audit.add(ev)
}

// logAudit records an admin event at the server's time. Called with s.mu
// held.
func (s *Server) logAudit(typ, name string, params ...string) {
	ev := AuditEvent{App: AppAdmin, Type: typ, Name: name, Params: map[string]string{}, Time: s.now()}
	for i := 0; i+1 < len(params); i += 2 {
		ev.Params[params[i]] = params[i+1]
	}
	s.audit.add(ev)
}

func (a *audit) add(ev AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
}

// activitiesPageSize is the fake's default and largest maxResults (the
// API's is 1,000).
const activitiesPageSize = 1000

// serveActivities serves GET
// /admin/reports/v1/activity/users/all/applications/{app} with
// startTime, endTime, maxResults and pageToken: the events visible now
// (time + lag ≤ now) whose time is in [startTime, endTime), newest first,
// as the API lists them.
func (s *Server) serveActivities(w http.ResponseWriter, r *http.Request, app string) {
	q := r.URL.Query()
	parse := func(k string) (time.Time, bool) {
		v := q.Get(k)
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	start, ok1 := parse("startTime")
	end, ok2 := parse("endTime")
	if !ok1 || !ok2 || app != AppAdmin && app != AppGroupsEnterprise {
		writeError(w, http.StatusBadRequest, "invalid", "global", "Bad Request")
		return
	}
	size := activitiesPageSize
	if v := q.Get("maxResults"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			size = min(n, activitiesPageSize)
		}
	}
	offset, _ := strconv.Atoi(q.Get("pageToken"))
	s.mu.Lock()
	now, domain := s.now(), s.org.Domain
	s.mu.Unlock()

	s.audit.mu.Lock()
	var visible []AuditEvent
	for _, ev := range s.audit.events {
		if ev.App != app || ev.Time.Add(s.audit.lag).After(now) {
			continue
		}
		if !start.IsZero() && ev.Time.Before(start) || !end.IsZero() && !ev.Time.Before(end) {
			continue
		}
		visible = append(visible, ev)
	}
	s.audit.mu.Unlock()
	sort.SliceStable(visible, func(i, j int) bool { return visible[i].Time.After(visible[j].Time) })

	items := []any{}
	for i := offset; i < len(visible) && i < offset+size; i++ {
		ev := visible[i]
		var params []any
		keys := make([]string, 0, len(ev.Params))
		for k := range ev.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			params = append(params, map[string]any{"name": k, "value": ev.Params[k]})
		}
		items = append(items, map[string]any{
			"kind": "admin#reports#activity",
			"id": map[string]any{
				"time": ev.Time.UTC().Format(time.RFC3339Nano), "applicationName": ev.App,
				"uniqueQualifier": strconv.Itoa(i), "customerId": "C0fake",
			},
			"actor":  map[string]any{"email": "admin@" + domain},
			"events": []any{map[string]any{"type": ev.Type, "name": ev.Name, "parameters": params}},
		})
	}
	body := map[string]any{"kind": "admin#reports#activities", "items": items}
	if offset+size < len(visible) {
		body["nextPageToken"] = strconv.Itoa(offset + size)
	}
	writeJSON(w, http.StatusOK, body)
}
