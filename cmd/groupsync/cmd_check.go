package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/registry"
)

// check connects each source and target and asks it to prove its
// credentials. It does not open the store.
func (a *app) check(ctx context.Context, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "usage: groupsync check")
		return exitError
	}
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return a.fail(err)
	}
	env := registry.Env{Resolver: cfg.Resolver(nil), Logger: a.log}
	failed := 0
	report := func(kind, name, typ string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(a.stdout, "FAIL  %s %s (%s): %v\n", kind, name, typ, err)
			return
		}
		fmt.Fprintf(a.stdout, "ok    %s %s (%s)\n", kind, name, typ)
	}
	for _, name := range keys(cfg.Sources) {
		sc := cfg.Sources[name]
		fac, ok := registry.Sources[sc.Type]
		if !ok {
			report("source", name, sc.Type, fmt.Errorf("unknown source type"))
			continue
		}
		src, err := fac(ctx, name, sc, env)
		if err == nil {
			err = checkOne(ctx, src)
		}
		report("source", name, sc.Type, err)
	}
	for _, name := range keys(cfg.Targets) {
		tc := cfg.Targets[name]
		fac, ok := registry.Targets[tc.Type]
		if !ok {
			report("target", name, tc.Type, fmt.Errorf("unknown target type"))
			continue
		}
		tgt, err := fac(ctx, name, tc, env)
		if err == nil {
			err = checkOne(ctx, tgt)
		}
		report("target", name, tc.Type, err)
	}
	if failed > 0 {
		return exitError
	}
	return exitOK
}

func checkOne(ctx context.Context, v any) error {
	c, ok := v.(engine.Checker)
	if !ok {
		return nil
	}
	return c.Check(ctx)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
