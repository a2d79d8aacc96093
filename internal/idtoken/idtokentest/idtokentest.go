// Package idtokentest is a local stand-in for Google's ID token issuer: it
// signs RS256 tokens with a test key and serves the matching JWKS from an
// httptest server on 127.0.0.1, so that the real verifier can be tested.
package idtokentest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"
)

// Issuer is the iss of the tokens the fake signs.
const Issuer = "https://accounts.google.com"

// Server signs tokens and serves its JWKS.
type Server struct {
	key      *rsa.PrivateKey
	kid      string
	hs       *httptest.Server
	requests atomic.Int64
	maxAge   atomic.Int64 // seconds
}

// NewServer starts a server. Close it when done.
func NewServer() *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("idtokentest: generating key: %v", err))
	}
	s := &Server{key: key, kid: "test-key-1"}
	s.maxAge.Store(3600)
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveJWKS))
	return s
}

// JWKSURL is the URL of the key set.
func (s *Server) JWKSURL() string { return s.hs.URL + "/oauth2/v3/certs" }

// Requests returns how many times the key set was fetched.
func (s *Server) Requests() int64 { return s.requests.Load() }

// SetMaxAge sets how long clients may cache the key set (default an hour),
// whole seconds.
func (s *Server) SetMaxAge(d time.Duration) { s.maxAge.Store(int64(d / time.Second)) }

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", s.maxAge.Load()))
	json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": b64(s.key.N.Bytes()),
		"e": b64(big.NewInt(int64(s.key.E)).Bytes()),
	}}})
}

// Token returns a token like the ones Google mints for a service account
// calling an HTTP function: issuer, audience, verified email, valid for an
// hour from now.
func (s *Server) Token(audience, email string) string {
	now := time.Now()
	return s.Sign(map[string]any{
		"iss": Issuer, "aud": audience, "sub": "1000" + fmt.Sprint(len(email)),
		"email": email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
}

// Sign signs arbitrary claims with the server's key.
func (s *Server) Sign(claims map[string]any) string {
	return SignWith(s.key, s.kid, claims)
}

// SignWith signs claims with any key, e.g. one the server does not
// publish.
func SignWith(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	p, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("idtokentest: claims: %v", err))
	}
	signed := b64(h) + "." + b64(p)
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		panic(fmt.Sprintf("idtokentest: sign: %v", err))
	}
	return signed + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
