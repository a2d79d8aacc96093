package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
)

// Options tune an Engine. Zero values pick defaults.
type Options struct {
	// Workers bounds the steps an in-process run executes at once, and
	// the target writes one step makes at once (default 8).
	Workers int
	Logger  *slog.Logger
	// Progress, when set, receives an event after each group is read and
	// after each group's result is recorded, one event at a time.
	Progress func(Progress)
	// Now is the clock (tests).
	Now func() time.Time
	// Holder names this process in group leases (default: random).
	Holder string
	// LeaseTTL bounds how long one step's lease lasts (default 9m, the
	// event function limit), so a step whose worker died is retried.
	LeaseTTL time.Duration
	// RuleLeaseTTL is how long a job may go without progress before it is
	// taken for stuck: another run may then take the rule over and the
	// job is marked failed (default 30m).
	RuleLeaseTTL time.Duration
	// Queue carries the steps of Handle's runs (the cloud's Pub/Sub).
	// Run and Approve always use an in-process queue of their own.
	Queue Queue
	// Events receives change events; nil drops them.
	Events Events
}

// Events publishes what a run changed, for downstream applications.
type Events interface {
	PublishChange(ctx context.Context, ev model.ChangeEvent) error
}

// Progress phases.
const (
	PhaseRead  = "read"  // a group's members were read
	PhaseApply = "apply" // a group's result was recorded
)

// Progress reports a run's advance, for terminals and logs.
type Progress struct {
	Phase   string
	JobID   string
	Rule    string
	Group   string
	Status  string
	Done    int
	Total   int
	Changes int
	Errors  int
}

// Engine runs resolved rules against connected sources, targets and a
// store. It is safe for concurrent use.
type Engine struct {
	rules   []config.RunRule
	store   Store
	sources map[string]Source
	targets map[string]Target
	opts    Options
	log     *slog.Logger
	users   *userCache

	jobMu   sync.Mutex
	lastJob string // the job whose reads the caches hold
}

// New returns an engine. sources and targets are keyed by their names in
// the config file; rules come from config.File.RunRules.
func New(rules []config.RunRule, store Store, sources map[string]Source, targets map[string]Target, opts Options) *Engine {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Holder == "" {
		opts.Holder = "groupsync-" + randomID(6)
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 9 * time.Minute
	}
	if opts.RuleLeaseTTL <= 0 {
		opts.RuleLeaseTTL = 30 * time.Minute
	}
	if report := opts.Progress; report != nil {
		// Steps run on many workers; the callback sees one event at a time.
		var mu sync.Mutex
		opts.Progress = func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			report(p)
		}
	}
	return &Engine{
		rules:   rules,
		store:   store,
		sources: sources,
		targets: targets,
		opts:    opts,
		log:     opts.Logger,
		users:   newUserCache(opts.Now, 5*time.Minute),
	}
}

// NewJobID returns a sortable, unique job ID (UTC time first).
func NewJobID(now time.Time) string {
	return now.UTC().Format("20060102T150405Z") + "-" + randomID(4)
}

// MessageJobID derives a scheduled run's job ID from its trigger message,
// so a redelivered message resumes its job instead of starting another.
func MessageJobID(published time.Time, messageID string) string {
	return published.UTC().Format("20060102T150405Z") + "-m" + messageID
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// rule returns the rule with this name.
func (e *Engine) rule(name string) (config.RunRule, error) {
	for _, r := range e.rules {
		if r.Name == name {
			return r, nil
		}
	}
	return config.RunRule{}, fmt.Errorf("no rule named %q", name)
}

// selectRules returns the rules a request selects.
func (e *Engine) selectRules(only string) ([]config.RunRule, error) {
	if only == "" {
		return e.rules, nil
	}
	r, err := e.rule(only)
	if err != nil {
		return nil, err
	}
	return []config.RunRule{r}, nil
}

func (e *Engine) connectors(r config.RunRule) (Source, Target, error) {
	src, ok := e.sources[r.Source]
	if !ok {
		return nil, nil, fmt.Errorf("rule %s: source %q is not connected", r.Name, r.Source)
	}
	tgt, ok := e.targets[r.Target]
	if !ok {
		return nil, nil, fmt.Errorf("rule %s: target %q is not connected", r.Name, r.Target)
	}
	return src, tgt, nil
}
