package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"
)

// keyTokenSource delegates with a service-account key: a JWT whose subject
// is the admin, signed with the key and exchanged at the key's token_uri.
func keyTokenSource(ctx context.Context, cfg Config, hc *http.Client) (oauth2.TokenSource, string, error) {
	var key struct {
		Type     string `json:"type"`
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(cfg.Credentials, &key); err != nil {
		return nil, "", fmt.Errorf("credentials are not a service-account key file: %w", err)
	}
	if key.Type != "service_account" {
		return nil, "", fmt.Errorf("credentials are of type %q, want a service_account key", key.Type)
	}
	jc, err := google.JWTConfigFromJSON(cfg.Credentials, cfg.scopes()...)
	if err != nil {
		return nil, "", fmt.Errorf("service-account key: %w", err)
	}
	jc.Subject = cfg.AdminSubject
	if cfg.TokenURL != "" {
		jc.TokenURL = cfg.TokenURL
	}
	// The token source outlives New's context; it only borrows its values
	// (the HTTP client).
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc)
	return jc.TokenSource(tctx), key.ClientID, nil
}

// keylessTokenSource delegates without a key: IAM Credentials signs the
// JWT as the service account (which needs iam.serviceAccounts.signJwt on
// itself), and the signed JWT is exchanged like a key-signed one.
func keylessTokenSource(ctx context.Context, cfg Config, hc *http.Client) (oauth2.TokenSource, error) {
	if cfg.ServiceAccount == "" {
		return nil, errors.New("keyless credentials need service_account (the runtime service account's email)")
	}
	var opts []option.ClientOption
	if cfg.IAMEndpoint != "" {
		opts = append(opts, option.WithEndpoint(withSlash(cfg.IAMEndpoint)), option.WithHTTPClient(hc))
	}
	// The client may keep the context for credential refreshes.
	iam, err := iamcredentials.NewService(context.WithoutCancel(ctx), opts...)
	if err != nil {
		return nil, fmt.Errorf("iam credentials client: %w", err)
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	src := &signJWTSource{iam: iam, hc: hc, sa: cfg.ServiceAccount, subject: cfg.AdminSubject, tokenURL: tokenURL, scopes: cfg.scopes()}
	// Refresh five minutes early so that no call carries a token about to
	// expire.
	return oauth2.ReuseTokenSourceWithExpiry(nil, src, 5*time.Minute), nil
}

type signJWTSource struct {
	iam                   *iamcredentials.Service
	hc                    *http.Client
	sa, subject, tokenURL string
	scopes                []string
}

// signJWTError marks a failure to sign, so Check can say which permission
// is missing.
type signJWTError struct {
	sa  string
	err error
}

func (e *signJWTError) Error() string {
	return fmt.Sprintf("signJwt as %s: %v", e.sa, e.err)
}

func (e *signJWTError) Unwrap() error { return e.err }

func (k *signJWTSource) Token() (*oauth2.Token, error) {
	// oauth2.TokenSource has no context; bound the two calls instead.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	payload, err := json.Marshal(map[string]any{
		"iss":   k.sa,
		"sub":   k.subject,
		"scope": strings.Join(k.scopes, " "),
		"aud":   k.tokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	})
	if err != nil {
		return nil, err
	}
	signed, err := k.iam.Projects.ServiceAccounts.SignJwt("projects/-/serviceAccounts/"+k.sa,
		&iamcredentials.SignJwtRequest{Payload: string(payload)}).Context(ctx).Do()
	if err != nil {
		return nil, &signJWTError{sa: k.sa, err: err}
	}
	return exchangeJWT(ctx, k.hc, k.tokenURL, signed.SignedJwt)
}

// exchangeJWT trades a signed JWT for an access token (RFC 7523).
func exchangeJWT(ctx context.Context, hc *http.Client, tokenURL, assertion string) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth2: cannot fetch token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("oauth2: cannot fetch token: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		re := &oauth2.RetrieveError{Response: resp, Body: body}
		re.ErrorCode, re.ErrorDescription = tokenErrorCode(body)
		return nil, re
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, fmt.Errorf("oauth2: token response without access_token")
	}
	return &oauth2.Token{
		AccessToken: tr.AccessToken,
		TokenType:   tr.TokenType,
		Expiry:      time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second),
	}, nil
}

// tokenErrorCode reads RFC 6749's error and error_description.
func tokenErrorCode(body []byte) (code, desc string) {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error, e.ErrorDescription
}

// retrieveError finds a token endpoint refusal in err, with its error code
// filled in (x/oauth2's JWT flow leaves it empty).
func retrieveError(err error) (code, desc string, ok bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return "", "", false
	}
	code, desc = re.ErrorCode, re.ErrorDescription
	if code == "" {
		code, desc = tokenErrorCode(re.Body)
	}
	return code, desc, true
}
