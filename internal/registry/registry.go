// Package registry turns a validated config file into connected parts: it
// maps each source and target type name to a factory (an explicit map, so
// the supported types are visible in one place) and opens the store.
package registry

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
)

// Env is what factories need besides their own config section.
type Env struct {
	Resolver *config.Resolver
	Logger   *slog.Logger
	// Profiles lists the sources whose users a rule maps, with the custom
	// schemas the mapping reads (Connect fills it from the file).
	Profiles map[string][]string
}

// SourceFactory connects one configured source.
type SourceFactory func(ctx context.Context, name string, cfg config.Source, env Env) (engine.Source, error)

// TargetFactory connects one configured target.
type TargetFactory func(ctx context.Context, name string, cfg config.Target, env Env) (engine.Target, error)

// Sources maps source type names to factories.
var Sources = map[string]SourceFactory{
	"workspace": newWorkspace,
	"ldap":      newLDAP,
}

// Targets maps target type names to factories.
var Targets = map[string]TargetFactory{
	"scim":      newSCIM,
	"workspace": newWorkspaceTarget,
}

// Connect builds every source and target the config names.
func Connect(ctx context.Context, f *config.File, env Env) (map[string]engine.Source, map[string]engine.Target, error) {
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.Profiles == nil {
		env.Profiles = profileNeeds(f)
	}
	sources := make(map[string]engine.Source, len(f.Sources))
	for _, name := range sortedKeys(f.Sources) {
		cfg := f.Sources[name]
		fac, ok := Sources[cfg.Type]
		if !ok {
			return nil, nil, fmt.Errorf("%s: sources.%s.type: unknown source type %q", f.Path, name, cfg.Type)
		}
		s, err := fac(ctx, name, cfg, env)
		if err != nil {
			return nil, nil, fmt.Errorf("source %s: %w", name, err)
		}
		sources[name] = s
	}
	targets := make(map[string]engine.Target, len(f.Targets))
	for _, name := range sortedKeys(f.Targets) {
		cfg := f.Targets[name]
		fac, ok := Targets[cfg.Type]
		if !ok {
			return nil, nil, fmt.Errorf("%s: targets.%s.type: unknown target type %q", f.Path, name, cfg.Type)
		}
		t, err := fac(ctx, name, cfg, env)
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: %w", name, err)
		}
		targets[name] = t
	}
	return sources, targets, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
