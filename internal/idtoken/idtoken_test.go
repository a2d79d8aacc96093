package idtoken_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/idtoken"
	"github.com/groupsync/groupsync/internal/idtoken/idtokentest"
)

const aud = "https://sync.example.run.app"

func TestVerify(t *testing.T) {
	srv := idtokentest.NewServer()
	defer srv.Close()
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": idtokentest.Issuer, "aud": aud, "sub": "42", "email": "ops@example.com",
			"email_verified": true, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		wantErr error
		want    idtoken.Claims
	}{
		{
			name:  "valid",
			token: srv.Sign(claims(nil)),
			want: idtoken.Claims{
				Issuer: idtokentest.Issuer, Subject: "42", Audience: aud, Email: "ops@example.com",
				EmailVerified: true, IssuedAt: time.Unix(now.Unix(), 0), Expires: time.Unix(now.Add(time.Hour).Unix(), 0),
			},
		},
		{
			name:  "email_verified as string",
			token: srv.Sign(claims(func(c map[string]any) { c["email_verified"] = "false" })),
			want: idtoken.Claims{
				Issuer: idtokentest.Issuer, Subject: "42", Audience: aud, Email: "ops@example.com",
				IssuedAt: time.Unix(now.Unix(), 0), Expires: time.Unix(now.Add(time.Hour).Unix(), 0),
			},
		},
		// Google mints one audience; a list is not a Google ID token.
		{name: "audience list", token: srv.Sign(claims(func(c map[string]any) { c["aud"] = []string{"x", aud} })), wantErr: idtoken.ErrInvalid},
		{name: "ES256", token: withAlg(srv.Sign(claims(nil)), "ES256"), wantErr: idtoken.ErrInvalid},
		{name: "wrong audience", token: srv.Sign(claims(func(c map[string]any) { c["aud"] = "https://other" })), wantErr: idtoken.ErrAudience},
		{name: "no audience", token: srv.Sign(claims(func(c map[string]any) { delete(c, "aud") })), wantErr: idtoken.ErrAudience},
		{name: "expired", token: srv.Sign(claims(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), wantErr: idtoken.ErrInvalid},
		{name: "no exp", token: srv.Sign(claims(func(c map[string]any) { delete(c, "exp") })), wantErr: idtoken.ErrInvalid},
		{name: "future iat", token: srv.Sign(claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })), wantErr: idtoken.ErrInvalid},
		{name: "wrong issuer", token: srv.Sign(claims(func(c map[string]any) { c["iss"] = "https://evil.example" })), wantErr: idtoken.ErrInvalid},
		{name: "unknown key", token: idtokentest.SignWith(other, "other-key", claims(nil)), wantErr: idtoken.ErrInvalid},
		{name: "forged with known kid", token: idtokentest.SignWith(other, "test-key-1", claims(nil)), wantErr: idtoken.ErrInvalid},
		{name: "garbage", token: "not.a.jwt", wantErr: idtoken.ErrInvalid},
		{name: "two parts", token: "a.b", wantErr: idtoken.ErrInvalid},
		{name: "alg none", token: unsigned(srv.Sign(claims(nil))), wantErr: idtoken.ErrInvalid},
	}
	v := idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: srv.JWKSURL()})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(t.Context(), tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify: got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// unsigned swaps the header for alg "none" and drops the signature.
func unsigned(tok string) string {
	parts := strings.Split(tok, ".")
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
}

func TestVerifyCachesKeys(t *testing.T) {
	srv := idtokentest.NewServer()
	defer srv.Close()
	v := idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: srv.JWKSURL()})
	for range 5 {
		if _, err := v.Verify(t.Context(), srv.Token(aud, "ops@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	// Unknown key IDs must not trigger a refetch storm either.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for range 5 {
		v.Verify(t.Context(), idtokentest.SignWith(other, "rotated", map[string]any{"iss": idtokentest.Issuer}))
	}
	if got := srv.Requests(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1", got)
	}
}

func TestVerifyRefetchesAfterExpiry(t *testing.T) {
	srv := idtokentest.NewServer()
	defer srv.Close()
	srv.SetMaxAge(time.Second)
	v := idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: srv.JWKSURL()})
	tok := srv.Token(aud, "ops@example.com")
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past max-age=1
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}
}

// TestVerifyHonoursDeadline: a key set that takes seconds to arrive must
// not hold a request past its own deadline, nor hold up other callers.
func TestVerifyHonoursDeadline(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "late", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	defer close(release)
	srv := idtokentest.NewServer()
	defer srv.Close()
	v := idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: slow.URL})
	tok := srv.Token(aud, "ops@example.com")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := v.Verify(ctx, tok)
			if d := time.Since(start); d > time.Second {
				t.Errorf("Verify with a 200ms deadline took %v", d)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Verify: err = %v, want DeadlineExceeded", err)
			}
		})
	}
	wg.Wait()
}

// withAlg rewrites a token's header to claim another algorithm.
func withAlg(tok, alg string) string {
	parts := strings.Split(tok, ".")
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT","kid":"test-key-1"}`))
	return h + "." + parts[1] + "." + parts[2]
}
