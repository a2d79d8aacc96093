package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/registry"
)

// Exit codes (the CLI contract in README.md).
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan: there are changes
	exitHeld    = 3 // sync: a plan is held for approval
)

const usage = `usage: groupsync [--config FILE] COMMAND [flags]

commands:
  check                                   test each source and target
  plan [--rule R] [--group G] [--json]    simulate; exit 0 no changes, 2 changes
  sync [--rule R] [--group G] [--dry-run] [--force]
                                          run; exit 0 done, 3 held, 1 error
  jobs [--limit N] [--json]               job history
  jobs show ID [--json]                   one job's per-group results
  approve JOB                             apply a held plan if the source is unchanged
  disconnect --rule R                     forget ownership, delete nothing
  serve [--addr 127.0.0.1:8080]           the HTTP API and job pages

The config file defaults to ./groupsync.yaml, or $GROUPSYNC_CONFIG.
`

// app carries what every command shares.
type app struct {
	stdout, stderr io.Writer
	configPath     string
	log            *slog.Logger
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("groupsync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	def := os.Getenv("GROUPSYNC_CONFIG")
	if def == "" {
		def = "groupsync.yaml"
	}
	a := &app{stdout: stdout, stderr: stderr}
	fs.StringVar(&a.configPath, "config", def, "config file")
	verbose := fs.Bool("v", false, "log debug detail to stderr")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	cmd, cargs := rest[0], rest[1:]
	commands := map[string]func(context.Context, []string) int{
		"check":      a.check,
		"plan":       a.plan,
		"sync":       a.sync,
		"jobs":       a.jobs,
		"approve":    a.approve,
		"disconnect": a.disconnect,
		"serve":      a.serve,
	}
	fn, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "groupsync: unknown command %q\n\n%s", cmd, usage)
		return exitError
	}
	return fn(ctx, cargs)
}

// fail prints an error as one line per problem and returns exitError.
func (a *app) fail(err error) int {
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Fprintln(a.stderr, p)
		}
		return exitError
	}
	fmt.Fprintf(a.stderr, "groupsync: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	return exitError
}

// flags returns a flag set for a subcommand that prints its usage on error.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("groupsync "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	return fs
}

// session is a loaded config with its store and, when connected, its
// sources and targets.
type session struct {
	cfg    *config.File
	store  engine.Store
	engine *engine.Engine
}

func (s *session) close() {
	if s.store != nil {
		s.store.Close()
	}
}

// open validates the config before anything else is read or written, then
// opens the store and, when connect is set, the sources and targets.
func (a *app) open(ctx context.Context, connect bool, opts engine.Options) (*session, error) {
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return nil, err
	}
	rules, err := cfg.RunRules()
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg}
	sources := map[string]engine.Source{}
	targets := map[string]engine.Target{}
	if connect {
		env := registry.Env{Resolver: cfg.Resolver(nil), Logger: a.log}
		sources, targets, err = registry.Connect(ctx, cfg, env)
		if err != nil {
			return nil, err
		}
	}
	s.store, err = registry.OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts.Logger = a.log
	s.engine = engine.New(rules, s.store, sources, targets, opts)
	return s, nil
}
