package idtoken

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// defaultKeyTTL applies when the JWKS response has no max-age.
	defaultKeyTTL = time.Hour
	// refetchGap limits refetches for unknown key IDs, so that tokens with
	// made-up kids cannot make us hammer the JWKS endpoint.
	refetchGap = time.Minute
)

// keySet is a cached JWKS document.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	expires time.Time
	fetched time.Time
}

// key returns the key with ID kid, fetching the JWKS when the cache has
// expired or (at most once a minute) when kid is unknown, since Google
// rotates keys.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k, ok := s.keys[kid]
	stale := now.After(s.expires)
	if ok && !stale {
		return k, nil
	}
	if !stale && now.Sub(s.fetched) < refetchGap {
		return nil, fmt.Errorf("%w: unknown key ID %q", ErrInvalid, kid)
	}
	if err := s.fetch(ctx, now); err != nil {
		if ok {
			// A stale key beats failing every request while Google's
			// endpoint is briefly unreachable.
			return k, nil
		}
		return nil, err
	}
	k, ok = s.keys[kid]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key ID %q", ErrInvalid, kid)
	}
	return k, nil
}

type jwks struct {
	Keys []struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	} `json:"keys"`
}

// fetch reloads the key set. Called with s.mu held.
func (s *keySet) fetch(ctx context.Context, now time.Time) error {
	s.fetched = now
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch JWKS: %s", resp.Status)
	}
	var doc jwks
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(doc.Keys))
	for _, k := range doc.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			return fmt.Errorf("fetch JWKS: key %q: %w", k.Kid, err)
		}
		keys[k.Kid] = pub
	}
	s.keys = keys
	s.expires = now.Add(maxAge(resp.Header.Get("Cache-Control")))
	return nil
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(e)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	exp := new(big.Int).SetBytes(eb)
	if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 {
		return nil, fmt.Errorf("bad exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(exp.Int64())}, nil
}

// maxAge reads max-age from a Cache-Control header.
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return defaultKeyTTL
}
