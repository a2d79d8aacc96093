package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/idtoken"
	"github.com/groupsync/groupsync/internal/registry"
	"github.com/groupsync/groupsync/internal/secrets/secretmanager"
)

// Environment variables (see the package doc).
const (
	envConfigYAML     = "GROUPSYNC_CONFIG_YAML"
	envConfigPath     = "GROUPSYNC_CONFIG"
	envProject        = "GOOGLE_CLOUD_PROJECT"
	envAudience       = "GROUPSYNC_AUDIENCE"
	envAllowedCallers = "GROUPSYNC_ALLOWED_CALLERS"
	envSiteURL        = "GROUPSYNC_SITE_URL"
	envWebhook        = "GROUPSYNC_WEBHOOK"
)

// runtime is what one function instance builds once and shares between
// calls.
type runtime struct {
	cfg   *config.File
	store engine.Store
	rules []config.RunRule
	// engine connects the sources and targets, so only the functions that
	// run steps build it (getEngine): Sync reads jobs and publishes, and
	// its service account can read no secret.
	engMu   sync.Mutex
	engine  *engine.Engine
	secrets *secretmanager.Lazy
	pubsub  *pubsub.Client
	runs    *pubsub.Publisher
	groups  *pubsub.Publisher
	changes *pubsub.Publisher
	jobs    *pubsub.Publisher
	api     http.Handler
	log     *slog.Logger
}

// permanentError marks a runtime that cannot be built however often the
// event is retried (an invalid config): event functions acknowledge.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

var (
	rtMu sync.Mutex
	rt   *runtime
	// verifierOptions configures ID-token verification; tests point it
	// at a local JWKS. Production uses Google's.
	verifierOptions idtoken.Options
)

// getRuntime returns the instance's runtime, building it on first use.
// Concurrent first calls wait for one build; a failed build is not kept,
// so the next call tries again.
func getRuntime(ctx context.Context) (*runtime, error) {
	rtMu.Lock()
	defer rtMu.Unlock()
	if rt != nil {
		return rt, nil
	}
	r, err := newRuntime(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	rt = r
	return r, nil
}

// resetRuntime closes and forgets the runtime, so that the next call
// rebuilds it from the environment (tests).
func resetRuntime() {
	rtMu.Lock()
	defer rtMu.Unlock()
	if rt != nil {
		rt.close()
		rt = nil
	}
}

func loadConfig() (*config.File, error) {
	if y := os.Getenv(envConfigYAML); y != "" {
		return config.Parse("$"+envConfigYAML, []byte(y))
	}
	p := os.Getenv(envConfigPath)
	if p == "" {
		p = "groupsync.yaml"
	}
	return config.Load(p)
}

func newRuntime(ctx context.Context) (_ *runtime, err error) {
	project := os.Getenv(envProject)
	log := newLogger(os.Stdout, project)
	cfg, err := loadConfig()
	if err != nil {
		return nil, permanentError{fmt.Errorf("config: %w", err)}
	}
	if project == "" {
		ref, perr := config.ParseStore(cfg.Store)
		if perr != nil || ref.Project == "" {
			return nil, permanentError{fmt.Errorf("%s is not set and the store names no project", envProject)}
		}
		project = ref.Project
	}
	r := &runtime{cfg: cfg, log: log, secrets: &secretmanager.Lazy{}}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.rules, err = cfg.RunRules(); err != nil {
		return nil, permanentError{fmt.Errorf("config: %w", err)}
	}
	if r.store, err = registry.OpenStore(ctx, cfg); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if r.pubsub, err = pubsub.NewClient(ctx, project); err != nil {
		return nil, fmt.Errorf("pubsub: %w", err)
	}
	r.runs = r.pubsub.Publisher(topicRuns)
	r.groups = r.pubsub.Publisher(topicGroups)
	r.changes = r.pubsub.Publisher(topicChanges)
	r.jobs = r.pubsub.Publisher(topicJobs)

	audience := os.Getenv(envAudience)
	if audience == "" {
		log.Warn(envAudience + " is not set: Sync refuses every caller")
	}
	var allowed []string
	for _, e := range strings.Split(os.Getenv(envAllowedCallers), ",") {
		if e = strings.TrimSpace(e); e != "" {
			allowed = append(allowed, e)
		}
	}
	var names []string
	for _, rule := range cfg.Rules {
		names = append(names, rule.Name)
	}
	r.api = httpapi.NewSite(httpapi.Options{
		Starter:  &cloudStarter{cfg: cfg, runs: r.runs},
		Approver: &cloudApprover{jobs: r.store, runs: r.runs},
		Rules:    names,
		Jobs:     r.store,
		Auth:     httpapi.NewIDTokens(idtoken.NewVerifier(audience, verifierOptions), allowed),
		Logger:   log,
	})
	return r, nil
}

// getEngine returns the runtime's engine, connecting every source and
// target on first use. A failed connection is not kept: the next call
// tries again.
func (r *runtime) getEngine(ctx context.Context) (*engine.Engine, error) {
	r.engMu.Lock()
	defer r.engMu.Unlock()
	if r.engine != nil {
		return r.engine, nil
	}
	sources, targets, err := registry.Connect(context.WithoutCancel(ctx), r.cfg, registry.Env{Resolver: r.cfg.Resolver(r.secrets), Logger: r.log})
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	r.engine = engine.New(r.rules, r.store, sources, targets, engine.Options{
		Logger: r.log,
		Queue:  &pubsubQueue{runs: r.runs, groups: r.groups},
		Events: &pubsubEvents{changes: r.changes, notifier: &notifier{
			jobs: r.jobs, site: os.Getenv(envSiteURL), webhook: strings.TrimSpace(os.Getenv(envWebhook)),
			resolve: r.cfg.Resolver(r.secrets), client: &http.Client{Timeout: 30 * time.Second},
		}},
	})
	return r.engine, nil
}

func (r *runtime) close() {
	for _, p := range []*pubsub.Publisher{r.runs, r.groups, r.changes, r.jobs} {
		if p != nil {
			p.Stop()
		}
	}
	if r.pubsub != nil {
		r.pubsub.Close()
	}
	if r.store != nil {
		r.store.Close()
	}
	r.secrets.Close()
}
