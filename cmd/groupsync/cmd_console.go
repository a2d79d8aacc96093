package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"

	"golang.org/x/oauth2"

	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/remote"
)

// console serves a deployment's operator site on a loopback address,
// attaching the operator's Google ID token to every request, so a browser
// reaches the private Sync function without handling tokens itself.
func (a *app) console(ctx context.Context, args []string) int {
	fs := a.flags("console")
	remoteURL := fs.String("remote", "", "the deployed Sync function's `URL` (required)")
	addr := fs.String("addr", "127.0.0.1:8081", "loopback `address` to serve the site on")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	if *remoteURL == "" {
		return a.fail(errors.New("console: --remote URL is required"))
	}
	if !loopbackAddr(*addr) {
		return a.fail(fmt.Errorf("console: %s is not a loopback address: the site acts with your identity", *addr))
	}
	up, err := url.Parse(*remoteURL)
	if err != nil || (up.Scheme != "https" && up.Scheme != "http") || up.Host == "" {
		return a.fail(fmt.Errorf("console: --remote %q is not an http(s) URL", *remoteURL))
	}
	var tokens oauth2.TokenSource
	if tok := os.Getenv(idTokenEnv); tok != "" {
		tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})
	} else {
		tokens = oauth2.ReuseTokenSource(nil, remote.Tokens(ctx, *remoteURL))
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.Out.Header.Del("Authorization")
			// The browser's origin is this proxy; the function sees its own.
			if r.In.Header.Get("Origin") != "" {
				r.Out.Header.Set("Origin", up.Scheme+"://"+up.Host)
			}
		},
		Transport: &oauth2.Transport{Source: tokens, Base: http.DefaultTransport},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			a.log.ErrorContext(r.Context(), "console: upstream", "err", err)
			http.Error(w, "groupsync console: the deployment could not be reached or no ID token could be had; see the terminal", http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return a.fail(fmt.Errorf("console: %w", err))
	}
	srv := httpapi.NewServer(proxy)
	fmt.Fprintf(a.stderr, "groupsync: console for %s on http://%s (your ID token is attached; stop with Ctrl-C)\n", up.Redacted(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return a.fail(fmt.Errorf("console: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return a.fail(fmt.Errorf("console: shutdown: %w", err))
	}
	return exitOK
}
