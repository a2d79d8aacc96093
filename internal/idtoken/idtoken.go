// Package idtoken verifies Google-signed OpenID Connect ID tokens (RS256
// JWTs): the signature against a JWKS document, the issuer, the expiry and
// the audience. The JWKS URL, the issuers, the HTTP client and the clock are
// injectable so that tests can sign tokens with their own key and serve it
// from a local httptest server.
//
// It is deliberately small: Google ID tokens are always RS256, and the
// callers (the HTTP function) only need the verified email claims.
package idtoken

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Google's published values.
const (
	GoogleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"
)

// GoogleIssuers are the iss values Google puts in ID tokens.
var GoogleIssuers = []string{"https://accounts.google.com", "accounts.google.com"}

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
	// HTTPClient fetches the JWKS (default http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Leeway tolerates clock skew on exp, iat and nbf (default 1 minute).
	Leeway time.Duration
}

// Verifier checks ID tokens for one audience. It caches the JWKS and is
// safe for concurrent use.
type Verifier struct {
	audience string
	issuers  []string
	leeway   time.Duration
	now      func() time.Time
	keys     *keySet
}

// NewVerifier returns a verifier that accepts tokens whose aud is audience.
func NewVerifier(audience string, opts Options) *Verifier {
	if opts.JWKSURL == "" {
		opts.JWKSURL = GoogleJWKSURL
	}
	if len(opts.Issuers) == 0 {
		opts.Issuers = GoogleIssuers
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = time.Minute
	}
	return &Verifier{
		audience: audience,
		issuers:  opts.Issuers,
		leeway:   opts.Leeway,
		now:      opts.Now,
		keys:     &keySet{url: opts.JWKSURL, client: opts.HTTPClient, now: opts.Now},
	}
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

type payload struct {
	Iss           string          `json:"iss"`
	Sub           string          `json:"sub"`
	Aud           json.RawMessage `json:"aud"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Iat           json.Number     `json:"iat"`
	Exp           json.Number     `json:"exp"`
	Nbf           json.Number     `json:"nbf"`
}

// Verify checks raw and returns its claims. Errors wrap ErrInvalid or
// ErrAudience.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: not a JWS compact serialisation", ErrInvalid)
	}
	var h header
	if err := decodePart(parts[0], &h); err != nil {
		return Claims{}, fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	if h.Alg != "RS256" {
		return Claims{}, fmt.Errorf("%w: algorithm %q (want RS256)", ErrInvalid, h.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature encoding: %v", ErrInvalid, err)
	}
	key, err := v.keys.key(ctx, h.Kid)
	if err != nil {
		return Claims{}, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	var p payload
	if err := decodePart(parts[1], &p); err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	return v.check(p)
}

// check validates the claims of a correctly signed token.
func (v *Verifier) check(p payload) (Claims, error) {
	if !slices.Contains(v.issuers, p.Iss) {
		return Claims{}, fmt.Errorf("%w: issuer %q", ErrInvalid, p.Iss)
	}
	exp, err := unixTime(p.Exp)
	if err != nil || exp.IsZero() {
		return Claims{}, fmt.Errorf("%w: missing or bad exp", ErrInvalid)
	}
	iat, err := unixTime(p.Iat)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: bad iat", ErrInvalid)
	}
	nbf, err := unixTime(p.Nbf)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: bad nbf", ErrInvalid)
	}
	now := v.now()
	if !now.Before(exp.Add(v.leeway)) {
		return Claims{}, fmt.Errorf("%w: expired at %s", ErrInvalid, exp.UTC().Format(time.RFC3339))
	}
	if !iat.IsZero() && iat.After(now.Add(v.leeway)) {
		return Claims{}, fmt.Errorf("%w: issued in the future", ErrInvalid)
	}
	if !nbf.IsZero() && nbf.After(now.Add(v.leeway)) {
		return Claims{}, fmt.Errorf("%w: not valid yet", ErrInvalid)
	}
	auds, err := audiences(p.Aud)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: aud: %v", ErrInvalid, err)
	}
	verified, err := boolish(p.EmailVerified)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: email_verified: %v", ErrInvalid, err)
	}
	c := Claims{
		Issuer: p.Iss, Subject: p.Sub, Email: p.Email, EmailVerified: verified,
		IssuedAt: iat, Expires: exp,
	}
	if len(auds) > 0 {
		c.Audience = auds[0]
	}
	if v.audience == "" || !slices.Contains(auds, v.audience) {
		return c, fmt.Errorf("%w: token is for %q", ErrAudience, strings.Join(auds, ","))
	}
	c.Audience = v.audience
	return c, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return dec.Decode(v)
}

func unixTime(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(f), 0), nil
}

// audiences reads aud, which JWT allows to be a string or an array.
func audiences(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, err
	}
	return many, nil
}

// boolish reads email_verified, which some issuers send as a string.
func boolish(raw json.RawMessage) (bool, error) {
	if len(raw) == 0 {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, err
	}
	return s == "true", nil
}
