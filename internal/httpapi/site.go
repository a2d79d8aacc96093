package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"changes": func(c model.Counts) int {
		return c.UsersCreated + c.UsersUpdated + c.UsersDisabled + c.UsersDeleted +
			c.GroupsCreated + c.GroupsUpdated + c.MembersAdded + c.MembersRemove
	},
	"path":         url.PathEscape,
	"label":        func(g model.GroupPlan, id string) string { return g.Label(id) },
	"plannedUsers": model.PlannedUserChanges,
}).ParseFS(templateFS, "templates/*.html"))

// NewSite returns the operator site, what `groupsync serve` and the cloud
// `Sync` function serve: the JSON API at /api (as NewAPI), the job list
// at /, one job at /jobs/ID, a form that starts a run (or a dry run) at
// POST /sync, and a held job's Approve button at POST /jobs/ID/approve.
// A request to / that does not ask for HTML is the JSON API too, so API
// clients of the function's root keep working. Every route is behind
// opts.Auth, and state-changing requests must come from the same origin.
func NewSite(opts Options) http.Handler {
	a := newAPI(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/api", a.serveAPI)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && wantsHTML(r) {
			a.pageJobs(w, r)
			return
		}
		a.serveAPI(w, r)
	})
	mux.HandleFunc("GET /jobs/{id}", a.pageJob)
	mux.HandleFunc("POST /jobs/{id}/approve", a.pageApprove)
	mux.HandleFunc("POST /sync", a.pageSync)
	return secureHeaders(authenticate(opts.Auth, a.log, http.NewCrossOriginProtection().Handler(mux)))
}

// wantsHTML: a browser's page load, not an API client, and not a query
// the API answers (?job=, ?limit=).
func wantsHTML(r *http.Request) bool {
	q := r.URL.Query()
	return strings.Contains(r.Header.Get("Accept"), "text/html") && !q.Has("job") && !q.Has("limit")
}

// jobPage is what the job page renders.
type jobPage struct {
	JobView
	CanApprove bool
}

func (a *api) pageJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := a.opts.Jobs.Jobs(r.Context(), maxJobs)
	if err != nil {
		a.log.ErrorContext(r.Context(), "list jobs", "err", err)
		http.Error(w, "could not list jobs", http.StatusServiceUnavailable)
		return
	}
	render(w, "jobs.html", map[string]any{"Jobs": jobs})
}

func (a *api) pageJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := a.job(r.Context(), id)
	if errors.Is(err, engine.ErrNotFound) {
		http.Error(w, "no such job", http.StatusNotFound)
		return
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "read job", "job", id, "err", err)
		http.Error(w, "could not read the job", http.StatusServiceUnavailable)
		return
	}
	render(w, "job.html", jobPage{JobView: v, CanApprove: a.opts.Approver != nil && v.Job.Status == model.JobHeld})
}

func (a *api) pageSync(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		http.Error(w, "use /api for JSON", http.StatusUnsupportedMediaType)
		return
	}
	id, ok := a.start(w, r)
	if ok {
		http.Redirect(w, r, "/jobs/"+url.PathEscape(id), http.StatusSeeOther)
	}
}

func render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	buf.WriteTo(w)
}
