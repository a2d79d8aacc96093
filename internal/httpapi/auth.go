package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/groupsync/groupsync/internal/idtoken"
)

var (
	// ErrUnauthenticated: no credentials, or credentials that do not
	// verify. The API answers 401.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: verified credentials that are not allowed here. The
	// API answers 403.
	ErrForbidden = errors.New("forbidden")
)

// Authenticator decides who a request comes from.
type Authenticator interface {
	// Authenticate returns a name for the caller (for logs), or an error
	// wrapping ErrUnauthenticated or ErrForbidden. Any other error means
	// the check itself failed (e.g. the key set is unreachable).
	Authenticate(r *http.Request) (caller string, err error)
}

// IDTokens accepts Google-signed ID tokens (Authorization: Bearer) minted
// for the verifier's audience whose verified email is on an allow-list.
// It is the cloud function's check in code; IAM invoker is the other line.
type IDTokens struct {
	verifier *idtoken.Verifier
	allowed  map[string]bool
}

// NewIDTokens returns an authenticator. Emails compare case-insensitively;
// an empty allow-list lets nobody in.
func NewIDTokens(v *idtoken.Verifier, allowed []string) *IDTokens {
	m := make(map[string]bool, len(allowed))
	for _, e := range allowed {
		if e = normEmail(e); e != "" {
			m[e] = true
		}
	}
	return &IDTokens{verifier: v, allowed: m}
}

// Authenticate implements Authenticator.
func (a *IDTokens) Authenticate(r *http.Request) (string, error) {
	tok, ok := bearer(r)
	if !ok {
		return "", fmt.Errorf("%w: missing bearer token", ErrUnauthenticated)
	}
	c, err := a.verifier.Verify(r.Context(), tok)
	switch {
	case errors.Is(err, idtoken.ErrAudience):
		return c.Email, fmt.Errorf("%w: %v", ErrForbidden, err)
	case errors.Is(err, idtoken.ErrInvalid):
		return "", fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	case err != nil:
		return "", err
	}
	if !c.EmailVerified || c.Email == "" {
		return c.Subject, fmt.Errorf("%w: token has no verified email", ErrForbidden)
	}
	if !a.allowed[normEmail(c.Email)] {
		return c.Email, fmt.Errorf("%w: %s is not an allowed caller", ErrForbidden, c.Email)
	}
	return c.Email, nil
}

// StaticToken accepts one shared bearer token (groupsync serve with
// GROUPSYNC_SERVE_TOKEN).
type StaticToken string

// Authenticate implements Authenticator.
func (t StaticToken) Authenticate(r *http.Request) (string, error) {
	got, ok := bearer(r)
	if !ok {
		return "", fmt.Errorf("%w: missing bearer token", ErrUnauthenticated)
	}
	if t == "" || subtle.ConstantTimeCompare([]byte(got), []byte(t)) != 1 {
		return "", fmt.Errorf("%w: wrong bearer token", ErrUnauthenticated)
	}
	return "token", nil
}

// LoopbackOnly lets in any request that reaches a loopback address by a
// loopback name, without credentials: `groupsync serve` on 127.0.0.1 for
// the operator's own machine. The Host check defeats DNS rebinding, where a
// web page's own name resolves to 127.0.0.1.
type LoopbackOnly struct{}

// Authenticate implements Authenticator.
func (LoopbackOnly) Authenticate(r *http.Request) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !isLoopback(host) {
		return "", fmt.Errorf("%w: %s is not a loopback client", ErrForbidden, r.RemoteAddr)
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if !isLoopback(h) {
		return "", fmt.Errorf("%w: host %q is not a loopback name", ErrForbidden, r.Host)
	}
	return "local", nil
}

func isLoopback(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

type callerKey struct{}

func callerFrom(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// authenticate runs auth before h and maps its errors to 401, 403 or 503.
func authenticate(auth Authenticator, log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := auth.Authenticate(r)
		switch {
		case errors.Is(err, ErrUnauthenticated):
			log.WarnContext(r.Context(), "unauthenticated request", "err", err, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="groupsync"`)
			writeError(w, http.StatusUnauthorized, "unauthenticated")
			return
		case errors.Is(err, ErrForbidden):
			log.WarnContext(r.Context(), "forbidden request", "err", err, "caller", caller)
			writeError(w, http.StatusForbidden, "forbidden")
			return
		case err != nil:
			log.ErrorContext(r.Context(), "authenticate", "err", err)
			writeError(w, http.StatusServiceUnavailable, "could not check credentials; try again")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}
