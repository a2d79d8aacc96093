// Package idtoken verifies Google-signed OpenID Connect ID tokens for the
// HTTP function: google.golang.org/api/idtoken checks the RS256 signature
// against Google's published keys (cached as their Cache-Control says) and
// the expiry; this package adds what groupsync needs on top: the issuer,
// iat and nbf, the audience (told apart from an invalid token) and the
// email claims.
//
// The key URL and the HTTP client are injectable so that tests can sign
// tokens with their own key and serve it from a local httptest server
// (idtokentest): the library's key URL is fixed, so requests for it are
// sent to Options.JWKSURL instead.
package idtoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gidtoken "google.golang.org/api/idtoken"
	"google.golang.org/api/option"
)

// Google's published values.
const (
	GoogleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"
)

// GoogleIssuers are the iss values Google puts in ID tokens.
var GoogleIssuers = []string{"https://accounts.google.com", "accounts.google.com"}

// fetchTimeout bounds one fetch of the key set, whatever the caller's
// deadline.
const fetchTimeout = 10 * time.Second

var (
	// ErrInvalid marks a token that is malformed, wrongly signed, expired
	// or from another issuer: the caller is not authenticated.
	ErrInvalid = errors.New("invalid ID token")
	// ErrAudience marks a valid token minted for another audience: the
	// caller is authenticated but the token is not for us.
	ErrAudience = errors.New("ID token audience mismatch")
)

// Claims are the verified claims groupsync uses.
type Claims struct {
	Issuer        string
	Subject       string
	Audience      string
	Email         string
	EmailVerified bool
	IssuedAt      time.Time
	Expires       time.Time
}

// Options tune a Verifier. Zero values pick Google's production values.
type Options struct {
	// JWKSURL serves the signing keys (default GoogleJWKSURL).
	JWKSURL string
	// Issuers are the accepted iss values (default GoogleIssuers).
	Issuers []string
	// HTTPClient fetches the keys (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// Now is the clock for iat and nbf (default time.Now); the library
	// checks exp against the real clock.
	Now func() time.Time
	// Leeway tolerates clock skew on iat and nbf (default 1 minute).
	Leeway time.Duration
}

// Verifier checks ID tokens for one audience. It is safe for concurrent
// use.
type Verifier struct {
	audience string
	issuers  []string
	leeway   time.Duration
	now      func() time.Time
	v        *gidtoken.Validator
	err      error // from building v
}

// NewVerifier returns a verifier that accepts tokens whose aud is audience.
func NewVerifier(audience string, opts Options) *Verifier {
	if len(opts.Issuers) == 0 {
		opts.Issuers = GoogleIssuers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = time.Minute
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: fetchTimeout}
	}
	if opts.JWKSURL != "" && opts.JWKSURL != GoogleJWKSURL {
		hc = redirect(hc, opts.JWKSURL)
	}
	v, err := gidtoken.NewValidator(context.Background(), option.WithHTTPClient(hc))
	return &Verifier{audience: audience, issuers: opts.Issuers, leeway: opts.Leeway, now: opts.Now, v: v, err: err}
}

// redirect sends the library's fixed key URL to jwks instead.
func redirect(hc *http.Client, jwks string) *http.Client {
	to, err := url.Parse(jwks)
	if err != nil {
		return hc
	}
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.String() == GoogleJWKSURL {
			r = r.Clone(r.Context())
			r.URL = to
			r.Host = to.Host
		}
		return base.RoundTrip(r)
	})
	return &c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Verify checks raw and returns its claims. Errors wrap ErrInvalid or
// ErrAudience; a key set that cannot be fetched wraps neither.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	if v.err != nil {
		return Claims{}, fmt.Errorf("idtoken: %w", v.err)
	}
	// The library also takes ES256 (IAP) tokens; Google ID tokens are
	// RS256, and refusing others here keeps them from fetching IAP keys.
	head, _, ok := strings.Cut(raw, ".")
	var h struct {
		Alg string `json:"alg"`
	}
	if !ok || decodePart(head, &h) != nil {
		return Claims{}, fmt.Errorf("%w: not a JWS compact serialisation", ErrInvalid)
	}
	if h.Alg != "RS256" {
		return Claims{}, fmt.Errorf("%w: algorithm %q (want RS256)", ErrInvalid, h.Alg)
	}
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	p, err := v.v.Validate(fctx, raw, "")
	if err != nil {
		if ctx.Err() != nil {
			return Claims{}, fmt.Errorf("idtoken: %w", ctx.Err())
		}
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return v.check(p)
}

// check validates the claims the library leaves to its caller.
func (v *Verifier) check(p *gidtoken.Payload) (Claims, error) {
	if !slices.Contains(v.issuers, p.Issuer) {
		return Claims{}, fmt.Errorf("%w: issuer %q", ErrInvalid, p.Issuer)
	}
	now := v.now()
	iat := unix(p.IssuedAt)
	if !iat.IsZero() && iat.After(now.Add(v.leeway)) {
		return Claims{}, fmt.Errorf("%w: issued in the future", ErrInvalid)
	}
	if nbf, ok := p.Claims["nbf"].(float64); ok && unix(int64(nbf)).After(now.Add(v.leeway)) {
		return Claims{}, fmt.Errorf("%w: not valid yet", ErrInvalid)
	}
	email, _ := p.Claims["email"].(string)
	c := Claims{
		Issuer: p.Issuer, Subject: p.Subject, Audience: p.Audience, Email: email,
		EmailVerified: p.Claims["email_verified"] == true || p.Claims["email_verified"] == "true",
		IssuedAt:      iat, Expires: unix(p.Expires),
	}
	if v.audience == "" || p.Audience != v.audience {
		return c, fmt.Errorf("%w: token is for %q", ErrAudience, p.Audience)
	}
	return c, nil
}

func unix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
