package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
)

// serveTokenEnv names the bearer token that `serve` requires when set.
const serveTokenEnv = "GROUPSYNC_SERVE_TOKEN"

// shutdownGrace bounds how long serve waits for requests and running jobs
// when it is told to stop; jobs still running after it are cancelled.
const shutdownGrace = 30 * time.Second

// serve runs the HTTP API and job pages over the local store, with runs
// in-process. Without GROUPSYNC_SERVE_TOKEN it only listens on a loopback
// address and only answers loopback clients; with it every request needs
// "Authorization: Bearer TOKEN".
func (a *app) serve(ctx context.Context, args []string) int {
	fs := a.flags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	var auth httpapi.Authenticator = httpapi.LoopbackOnly{}
	if tok := os.Getenv(serveTokenEnv); tok != "" {
		auth = httpapi.StaticToken(tok)
	} else if !loopbackAddr(*addr) {
		return a.fail(fmt.Errorf("serve: %s is not a loopback address; set %s to serve it with a bearer token", *addr, serveTokenEnv))
	}
	s, err := a.open(ctx, true, engine.Options{})
	if err != nil {
		return a.fail(err)
	}
	defer s.close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return a.fail(fmt.Errorf("serve: %w", err))
	}
	starter := httpapi.NewLocalStarter(s.cfg, s.engine, a.log)
	// Read, write and idle timeouts, and anti-framing headers.
	srv := httpapi.NewServer(httpapi.NewSite(httpapi.Options{Starter: starter, Jobs: s.store, Auth: auth, Logger: a.log}))
	unannounce, err := announceServe(s.cfg, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		return a.fail(err)
	}
	defer unannounce()
	fmt.Fprintf(a.stderr, "groupsync: serving on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return a.fail(fmt.Errorf("serve: %w", err))
	case <-ctx.Done():
	}
	fmt.Fprintln(a.stderr, "groupsync: shutting down; waiting for running jobs")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), starter.Shutdown(sctx))
	if err != nil {
		return a.fail(fmt.Errorf("serve: shutdown: %w", err))
	}
	return exitOK
}

// loopbackAddr reports whether a listen address binds only loopback.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
