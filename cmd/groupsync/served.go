package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/oauth2"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/remote"
)

// While `serve` runs it holds the bbolt store's lock, and bbolt shares a
// lock only between readers. So serve leaves its URL in a file next to the
// store, and the read-only commands (jobs, jobs show) that find the store
// locked read through the running server's API instead.

// servedPath is the file serve writes its URL to, for a bolt store.
func servedPath(cfg *config.File) (string, bool) {
	ref, err := config.ParseStore(cfg.Store)
	if err != nil || ref.Kind != config.StoreBolt {
		return "", false
	}
	return ref.Path + ".serve", true
}

// announceServe writes url for the read-only commands; the returned
// function removes it.
func announceServe(cfg *config.File, url string) (func(), error) {
	p, ok := servedPath(cfg)
	if !ok {
		return func() {}, nil
	}
	if err := os.WriteFile(p, []byte(url+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return func() { os.Remove(p) }, nil
}

// servedClient returns a client of the running `serve` when err says the
// store is locked and serve announced itself; nil otherwise.
func (a *app) servedClient(ctx context.Context, err error) *remote.Client {
	if !errors.Is(err, bolterrors.ErrTimeout) {
		return nil
	}
	cfg, lerr := config.Load(a.configPath)
	if lerr != nil {
		return nil
	}
	p, ok := servedPath(cfg)
	if !ok {
		return nil
	}
	b, rerr := os.ReadFile(p)
	if rerr != nil {
		return nil
	}
	url := strings.TrimSpace(string(b))
	// Loopback serve needs no token; a token-protected one wants its own.
	tok := os.Getenv(serveTokenEnv)
	if tok == "" {
		tok = "loopback"
	}
	c, cerr := remote.New(ctx, url, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
	if cerr != nil {
		return nil
	}
	a.log.DebugContext(ctx, "store locked by serve; reading through it", "url", url)
	return c
}
