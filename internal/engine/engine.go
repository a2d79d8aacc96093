package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/config"
)

// Options tune an Engine. Zero values pick defaults.
type Options struct {
	// Workers bounds the per-group work running at once (default 8).
	Workers int
	Logger  *slog.Logger
	// Progress, when set, receives an event after each group finishes.
	Progress func(Progress)
	// Now is the clock (tests).
	Now func() time.Time
	// Holder names this process in leases (default: random).
	Holder string
	// LeaseTTL bounds how long one group's lease lasts (default 9m, the
	// event function limit).
	LeaseTTL time.Duration
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

// Engine runs rules from one config against resolved sources, targets and a
// store. It is safe for concurrent use.
type Engine struct {
	cfg     *config.File
	store   Store
	sources map[string]Source
	targets map[string]Target
	opts    Options
	log     *slog.Logger
	users   *userCache

	jobMu   sync.Mutex
	lastJob string // the job whose reads the caches hold (fan-out tasks)
}

// New returns an engine. sources and targets are keyed by their names in
// the config file.
func New(cfg *config.File, store Store, sources map[string]Source, targets map[string]Target, opts Options) *Engine {
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
	return &Engine{
		cfg:     cfg,
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

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// rule returns the config rule with this name.
func (e *Engine) rule(name string) (config.Rule, error) {
	for _, r := range e.cfg.Rules {
		if r.Name == name {
			return r, nil
		}
	}
	return config.Rule{}, fmt.Errorf("no rule named %q in %s", name, e.cfg.Path)
}

// rules returns the rules a request selects.
func (e *Engine) rules(only string) ([]config.Rule, error) {
	if only == "" {
		return e.cfg.Rules, nil
	}
	r, err := e.rule(only)
	if err != nil {
		return nil, err
	}
	return []config.Rule{r}, nil
}

func (e *Engine) connectors(r config.Rule) (Source, Target, error) {
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
