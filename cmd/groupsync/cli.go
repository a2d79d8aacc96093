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
	"github.com/groupsync/groupsync/internal/secrets/secretmanager"
)

// Exit codes (the CLI contract in README.md).
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan: there are changes
	exitHeld    = 3 // sync: a plan is held for approval
)

// command is one entry of the command table: help, suggestions and
// completion are all made from it, and from the flag set its handler
// declares (see app.describe).
type command struct {
	name    string // "jobs show" for a subcommand
	args    string // positional arguments in the usage line
	summary string
	run     func(a *app, ctx context.Context, args []string) int
}

// commands is the command table, in the order help lists it. It is set
// in init because the handlers' help refers back to it.
var commands []command

func init() {
	commands = []command{
		{"check", "", "test each source and target", (*app).check},
		{"plan", "", "simulate; exit 0 no changes, 2 changes", (*app).plan},
		{"sync", "", "run; exit 0 done, 3 held, 1 error", (*app).sync},
		{"jobs", "", "job history", (*app).jobs},
		{"jobs show", "ID", "one job's per-group results", (*app).jobShow},
		{"approve", "JOB", "apply a held plan if the source is unchanged", (*app).approve},
		{"disconnect", "", "forget ownership, delete nothing", (*app).disconnect},
		{"serve", "", "the HTTP API and job pages", (*app).serve},
		{"console", "", "the operator site of a deployment, on 127.0.0.1, with your ID token", (*app).console},
		{"version", "", "the module version and VCS revision", (*app).version},
		{"completion", "bash|zsh|fish", "print a shell completion script", (*app).completion},
		{"help", "[COMMAND]", "help for a command", (*app).help},
	}
}

// lookupCommand finds a command by its name words ("jobs", "show").
func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// app carries what every command shares.
type app struct {
	stdout, stderr io.Writer
	configPath     string
	log            *slog.Logger

	// describing is set while a handler is run only to learn its flags
	// (help, completion): parse records the flag set and stops it.
	describing bool
	described  *flag.FlagSet
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	a.configPath = os.Getenv("GROUPSYNC_CONFIG")
	if a.configPath == "" {
		a.configPath = "groupsync.yaml"
	}
	rest, verbose, err := a.globals(args)
	if err != nil {
		fmt.Fprintf(stderr, "groupsync: %v\n\n%s", err, mainUsage())
		return exitError
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if len(rest) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitError
	}
	switch rest[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	case "--version":
		return a.version(ctx, rest[1:])
	}
	c, ok := lookupCommand(rest[0])
	if !ok || strings.Contains(c.name, " ") {
		return a.unknownCommand(rest[0], "")
	}
	return c.run(a, ctx, rest[1:])
}

// globals takes the global flags (--config FILE, -v) out of the arguments,
// wherever they stand before a "--", as kubectl and gcloud accept them.
func (a *app) globals(args []string) (rest []string, verbose bool, err error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") {
			name = ""
		}
		switch name {
		case "config":
			if !hasValue {
				if i+1 >= len(args) {
					return nil, false, errors.New("flag needs an argument: --config")
				}
				i++
				value = args[i]
			}
			a.configPath = value
		case "v":
			verbose = !hasValue || value == "true"
		default:
			rest = append(rest, arg)
		}
	}
	return rest, verbose, nil
}

// flags returns a flag set for a command; app.parse reports its errors.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("groupsync "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses a command's flags wherever they stand among its arguments
// and checks the positional arguments against want, their names in the
// usage line ("JOB"): exactly that many are required, or at least that
// many when the last name ends in "..." (any number). --help prints the
// command's help on stdout. When ok is false the command returns code.
func (a *app) parse(fs *flag.FlagSet, args []string, want ...string) (pos []string, code int, ok bool) {
	name := strings.TrimPrefix(fs.Name(), "groupsync ")
	variadic := len(want) > 0 && strings.HasSuffix(want[len(want)-1], "...")
	if variadic {
		want = want[:len(want)-1]
	}
	if a.describing {
		a.described = fs
		return nil, exitOK, false
	}
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			a.commandHelp(a.stdout, name, fs)
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "groupsync %s: %v\n", name, err)
			if s := suggest(unknownFlag(err), flagNames(fs)); s != "" {
				fmt.Fprintf(a.stderr, "did you mean --%s?\n", s)
			}
			fmt.Fprintf(a.stderr, "run 'groupsync help %s' for usage\n", name)
			return nil, exitError, false
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) < len(want) {
		fmt.Fprintf(a.stderr, "groupsync %s: missing %s\n%s", name, strings.Join(want[len(pos):], " "), usageLine(name, fs))
		return nil, exitError, false
	}
	if len(pos) > len(want) && !variadic {
		extra := pos[len(want)]
		fmt.Fprintf(a.stderr, "groupsync %s: unexpected argument %q\n", name, extra)
		if s := suggest(extra, subcommands(name)); s != "" {
			fmt.Fprintf(a.stderr, "did you mean 'groupsync %s %s'?\n", name, s)
		}
		fmt.Fprint(a.stderr, usageLine(name, fs))
		return nil, exitError, false
	}
	return pos, exitOK, true
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

// session is a loaded config with its store and, when connected, its
// sources and targets.
type session struct {
	cfg     *config.File
	store   engine.Store
	engine  *engine.Engine
	secrets *secretmanager.Lazy
}

func (s *session) close() {
	if s.store != nil {
		s.store.Close()
	}
	s.secrets.Close()
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
	s := &session{cfg: cfg, secrets: &secretmanager.Lazy{}}
	sources := map[string]engine.Source{}
	targets := map[string]engine.Target{}
	if connect {
		env := registry.Env{Resolver: cfg.Resolver(s.secrets), Logger: a.log}
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
