package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/registry"
	"github.com/groupsync/groupsync/internal/secrets/secretmanager"
)

// checkResult is one source's or target's answer, the JSON form of check.
type checkResult struct {
	Kind  string `json:"kind"` // "source" or "target"
	Name  string `json:"name"`
	Type  string `json:"type"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Note says what works but not fully: a source whose change hints
	// cannot be read runs every sync in full.
	Note string `json:"note,omitempty"`
}

// check connects each source and target and asks it to prove its
// credentials. It does not open the store.
func (a *app) check(ctx context.Context, args []string) int {
	fs := a.flags("check")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return a.fail(err)
	}
	// secret:// references resolve with application default credentials.
	secrets := &secretmanager.Lazy{}
	defer secrets.Close()
	env := registry.Env{Resolver: cfg.Resolver(secrets), Logger: a.log}
	var results []checkResult
	report := func(kind, name, typ string, err error) {
		r := checkResult{Kind: kind, Name: name, Type: typ, OK: err == nil}
		if err != nil {
			r.Error = err.Error()
		}
		results = append(results, r)
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
		if err == nil {
			results[len(results)-1].Note = checkHints(ctx, src)
		}
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
	if *asJSON {
		a.printJSON(results)
	}
	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
		if *asJSON {
			continue
		}
		if r.OK {
			fmt.Fprintf(a.stdout, "ok    %s %s (%s)\n", r.Kind, r.Name, r.Type)
			if r.Note != "" {
				fmt.Fprintf(a.stdout, "      note: %s\n", r.Note)
			}
		} else {
			fmt.Fprintf(a.stdout, "FAIL  %s %s (%s): %s\n", r.Kind, r.Name, r.Type, r.Error)
		}
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

// checkHints reads the last minute of a hinting source's audit log and
// says what a failure means; "" when it works or the source has no hints.
func checkHints(ctx context.Context, v any) string {
	hs, ok := v.(engine.HintSource)
	if !ok {
		return ""
	}
	now := time.Now()
	if _, err := hs.Hints(ctx, now.Add(-time.Minute), now); err != nil {
		return fmt.Sprintf("change hints cannot be read, so every sync reads in full: %v", err)
	}
	return ""
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
