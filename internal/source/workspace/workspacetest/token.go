package workspacetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ServiceAccountKey returns a service-account key file (JSON) for the given
// service-account email whose token_uri points at this server. Its private
// key is the one the server verifies JWT assertions with.
func (s *Server) ServiceAccountKey(email string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		panic(fmt.Sprintf("workspacetest: marshal key: %v", err))
	}
	project := "fake-project"
	if at := strings.Index(email, "@"); at >= 0 {
		if dot := strings.Index(email[at+1:], "."); dot >= 0 {
			project = email[at+1 : at+1+dot]
		}
	}
	b, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              s.keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   ClientID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

type claims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

func tokenError(w http.ResponseWriter, code int, reason, desc string) {
	writeJSON(w, code, map[string]any{"error": reason, "error_description": desc})
}

// serveToken implements the JWT bearer grant of Google's token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Malformed form body.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	c, err := s.verifyJWT(r.PostForm.Get("assertion"))
	if err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := s.now().Unix()
	switch {
	case c.Exp < now || c.Iat > now+300 || c.Exp-c.Iat > 3600:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	case c.Aud != s.TokenURL() && c.Aud != "https://oauth2.googleapis.com/token":
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: audience.")
		return
	}
	scopes := map[string]bool{}
	for _, sc := range strings.Fields(c.Scope) {
		if !s.granted[sc] {
			tokenError(w, http.StatusUnauthorized, "unauthorized_client", UnauthorizedClientDescription)
			return
		}
		scopes[sc] = true
	}
	if len(scopes) == 0 {
		tokenError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	s.mu.Lock()
	if c.Sub != "" && s.user(c.Sub) == nil {
		s.mu.Unlock()
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
		return
	}
	s.nextToken++
	tok := fmt.Sprintf("ya29.fake-%d", s.nextToken)
	s.tokens[tok] = tokenGrant{subject: c.Sub, scopes: scopes}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3599})
}

// grant returns the grant behind the request's bearer token.
func (s *Server) grant(r *http.Request) (tokenGrant, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return tokenGrant{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[tok]
	return g, ok
}

func (s *Server) verifyJWT(jwt string) (claims, error) {
	var c claims
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return c, err
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(payload, &c)
}

// serveSignJWT implements IAM Credentials
// projects/-/serviceAccounts/SA:signJwt, signing with the server's key.
func (s *Server) serveSignJWT(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Payload string `json:"payload"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil || req.Payload == "" {
		writeError(w, http.StatusBadRequest, "badRequest", "global", "Invalid JSON payload received.")
		return
	}
	var c claims
	if err := json.Unmarshal([]byte(req.Payload), &c); err != nil {
		writeError(w, http.StatusBadRequest, "badRequest", "global", "Payload is not a JSON object.")
		return
	}
	header := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"alg":"RS256","kid":%q,"typ":"JWT"}`, s.keyID))
	signed := header + "." + base64.RawURLEncoding.EncodeToString([]byte(req.Payload))
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internalError", "global", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"keyId":     s.keyID,
		"signedJwt": signed + "." + base64.RawURLEncoding.EncodeToString(sig),
	})
}
