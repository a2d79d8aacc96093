// Package httpapi is groupsync's HTTP API, shared by the cloud `Sync`
// function and `groupsync serve`:
//
//   - POST starts a run. Optional fields (JSON body or form): rule, group,
//     dry_run. The answer is 202 {"job_id": "…"} before the run starts.
//   - POST ?approve=ID approves a held job (Approver): 202 {"job_id": the
//     approval's job}, 409 when the source changed or nothing is held.
//   - GET ?job=ID returns {"job": …, "groups": [per-group results]}.
//   - GET without job returns {"jobs": [recent jobs]} (?limit=N, max 100).
//
// Server policy wins (docs/architecture.md): a request can make a run safer, never
// less safe. dry_run=true is honoured, dry_run=false cannot turn a rule's
// configured dry run off (the engine ORs them), and force is refused: lifting
// deletion limits is for `groupsync approve` or an operator's CLI run.
//
// How a run starts is pluggable (Starter): the cloud publishes to the
// groupsync-runs topic, serve runs the engine in-process (LocalStarter).
// So is authentication (Authenticator): Google ID tokens in the cloud, a
// static bearer token or loopback-only access for serve.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// ErrBadRequest marks a Starter error caused by the request (unknown rule,
// refused flag): the API answers 400 with its message.
var ErrBadRequest = errors.New("bad request")

// ErrTooManyRuns marks a Starter refusal because its cap on concurrent runs
// is reached: the API answers 429.
var ErrTooManyRuns = errors.New("too many runs in progress; try again later")

// Starter starts a run and returns its job ID without waiting for it.
type Starter interface {
	Start(ctx context.Context, req engine.Request) (jobID string, err error)
}

// Jobs reads job history; engine.Store implements it.
type Jobs interface {
	Job(ctx context.Context, id string) (model.Job, error)
	Jobs(ctx context.Context, limit int) ([]model.Job, error)
	GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error)
	// RuleRun holds a rule's audit record of user changes.
	RuleRun(ctx context.Context, jobID, rule string) (model.RuleRun, error)
	// Held lists a held job's plans, for review before approval.
	Held(ctx context.Context, jobID string) ([]model.HeldPlan, error)
}

// Options configure the handlers.
type Options struct {
	Starter Starter
	Jobs    Jobs
	// Auth authenticates every request. Required: use LoopbackOnly to
	// run without credentials on a loopback address.
	Auth   Authenticator
	Logger *slog.Logger
	// Approver approves held jobs; nil takes the Starter when it is one
	// (LocalStarter), else approving is refused.
	Approver Approver
	// Rules names the config's rules, whose audit records a job view
	// shows; nil takes them from a LocalStarter.
	Rules []string
}

// Limits on job listings.
const (
	defaultJobs = 20
	maxJobs     = 100
)

// JobView is the GET ?job=ID answer: the job, each group's result with
// its named member changes, each rule's named user changes and, for a
// held job, the plans approval would apply.
type JobView struct {
	Job    model.Job           `json:"job"`
	Groups []model.GroupResult `json:"groups"`
	Rules  []RuleView          `json:"rules,omitempty"`
	Held   []model.HeldPlan    `json:"held,omitempty"`
}

// StartResponse is the POST answer.
type StartResponse struct {
	JobID string `json:"job_id"`
}

type api struct {
	opts Options
	log  *slog.Logger
}

// NewAPI returns the JSON API handler (the cloud `Sync` function). It
// answers on any path: in the cloud the function owns its whole URL.
func NewAPI(opts Options) http.Handler {
	a := newAPI(opts)
	return secureHeaders(authenticate(opts.Auth, a.log, http.HandlerFunc(a.serveAPI)))
}

func newAPI(opts Options) *api {
	if opts.Auth == nil {
		panic("httpapi: Options.Auth is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Approver == nil {
		opts.Approver, _ = opts.Starter.(Approver)
	}
	if rl, ok := opts.Starter.(ruleLister); ok && opts.Rules == nil {
		opts.Rules = rl.Rules()
	}
	return &api{opts: opts, log: opts.Logger}
}

func (a *api) serveAPI(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		if job := r.URL.Query().Get("approve"); job != "" {
			if newID, ok := a.approve(w, r, job); ok {
				writeJSON(w, http.StatusAccepted, ApproveResponse{JobID: newID, ApproveOf: job})
			}
			return
		}
		id, ok := a.start(w, r)
		if ok {
			writeJSON(w, http.StatusAccepted, StartResponse{JobID: id})
		}
	case http.MethodGet, http.MethodHead:
		if id := r.URL.Query().Get("job"); id != "" {
			a.serveJob(w, r, id)
			return
		}
		a.serveJobs(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// start parses and starts a run, writing the error answer itself when it
// fails.
func (a *api) start(w http.ResponseWriter, r *http.Request) (string, bool) {
	req, err := parseStart(r)
	if errors.Is(err, errUnsupportedMedia) {
		writeError(w, http.StatusUnsupportedMediaType, err.Error())
		return "", false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	req.Trigger = model.TriggerHTTP
	id, err := a.opts.Starter.Start(r.Context(), req)
	if errors.Is(err, ErrBadRequest) {
		writeError(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	if errors.Is(err, ErrTooManyRuns) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, err.Error())
		return "", false
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "start run", "err", err)
		writeError(w, http.StatusServiceUnavailable, "could not start the run; try again")
		return "", false
	}
	a.log.InfoContext(r.Context(), "run started", "job", id, "caller", callerFrom(r.Context()),
		"rule", req.Rule, "group", req.Group, "dry_run", req.DryRun)
	return id, true
}

func (a *api) serveJob(w http.ResponseWriter, r *http.Request, id string) {
	v, err := a.job(r.Context(), id)
	if errors.Is(err, engine.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no job "+strconv.Quote(id))
		return
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "read job", "job", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "could not read the job; try again")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *api) serveJobs(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	jobs, err := a.opts.Jobs.Jobs(r.Context(), limit)
	if err != nil {
		a.log.ErrorContext(r.Context(), "list jobs", "err", err)
		writeError(w, http.StatusServiceUnavailable, "could not list jobs; try again")
		return
	}
	if jobs == nil {
		jobs = []model.Job{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return defaultJobs, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("limit must be a positive integer")
	}
	return min(n, maxJobs), nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
