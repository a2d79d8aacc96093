// Package remote is the CLI's client of a deployed Sync function: it lists
// and reads jobs, starts runs and approves held jobs over the HTTP API
// (internal/httpapi) with the operator's Google ID token, so the CLI needs
// no secrets and no access to the sources or targets.
//
// The token comes from application default credentials when they can mint
// ID tokens (a service account), else from `gcloud auth
// print-identity-token` (an operator's user login).
package remote

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/idtoken"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/httpapi"
	"github.com/groupsync/groupsync/internal/model"
)

// ErrRefused wraps a 409 answer: the deployment refused the request (an
// approval whose source changed, or a job with nothing held).
var ErrRefused = errors.New("refused")

// ErrNotFound wraps a 404 answer.
var ErrNotFound = errors.New("not found")

// Client calls one deployment's Sync API.
type Client struct {
	base   *url.URL
	tokens oauth2.TokenSource
	http   *http.Client
}

// New returns a client of the Sync function at rawURL. tokens supplies ID
// tokens; nil picks Tokens(ctx, rawURL).
func New(ctx context.Context, rawURL string, tokens oauth2.TokenSource) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("remote: %q is not an http(s) URL", rawURL)
	}
	if tokens == nil {
		tokens = Tokens(ctx, u.String())
	}
	return &Client{base: u, tokens: oauth2.ReuseTokenSource(nil, tokens), http: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// Tokens returns ID tokens for audience: from application default
// credentials when they can mint them, else from gcloud.
func Tokens(ctx context.Context, audience string) oauth2.TokenSource {
	if ts, err := idtoken.NewTokenSource(ctx, audience); err == nil {
		return ts
	}
	return gcloudTokens{}
}

// gcloudTokens runs `gcloud auth print-identity-token`: a user login's
// ID token (its audience is gcloud's client, which Cloud Run IAM accepts).
type gcloudTokens struct{}

func (gcloudTokens) Token() (*oauth2.Token, error) {
	out, err := exec.Command("gcloud", "auth", "print-identity-token").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("gcloud auth print-identity-token: %s", strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("no ID token: application default credentials cannot mint one and gcloud is unusable: %w", err)
	}
	return &oauth2.Token{AccessToken: strings.TrimSpace(string(out)), Expiry: time.Now().Add(50 * time.Minute)}, nil
}

// Jobs lists up to limit recent jobs, newest first.
func (c *Client) Jobs(ctx context.Context, limit int) ([]model.Job, error) {
	var out struct {
		Jobs []model.Job `json:"jobs"`
	}
	err := c.do(ctx, http.MethodGet, url.Values{"limit": {strconv.Itoa(limit)}}, nil, &out)
	return out.Jobs, err
}

// Job reads one job with its results, audit record and held plans.
func (c *Client) Job(ctx context.Context, id string) (httpapi.JobView, error) {
	var v httpapi.JobView
	err := c.do(ctx, http.MethodGet, url.Values{"job": {id}}, nil, &v)
	return v, err
}

// Start starts a run and returns its job ID. Force is not accepted over
// HTTP.
func (c *Client) Start(ctx context.Context, req engine.Request) (string, error) {
	body, err := json.Marshal(map[string]any{"rule": req.Rule, "group": req.Group, "dry_run": req.DryRun})
	if err != nil {
		return "", err
	}
	var out httpapi.StartResponse
	err = c.do(ctx, http.MethodPost, nil, body, &out)
	return out.JobID, err
}

// Approve approves a held job and returns the approval's job ID.
func (c *Client) Approve(ctx context.Context, id string) (string, error) {
	var out httpapi.ApproveResponse
	err := c.do(ctx, http.MethodPost, url.Values{"approve": {id}}, nil, &out)
	return out.JobID, err
}

// Wait polls a job until it has ended.
func (c *Client) Wait(ctx context.Context, id string, every time.Duration) (httpapi.JobView, error) {
	for {
		v, err := c.Job(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) { // not dispatched yet
			return v, err
		}
		if err == nil && v.Job.Status != model.JobRunning {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(every):
		}
	}
}

func (c *Client) do(ctx context.Context, method string, q url.Values, body []byte, out any) error {
	u := *c.base
	u.Path += "/api"
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := c.tokens.Token()
	if err != nil {
		return fmt.Errorf("remote: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("remote: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("remote: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(data, &e)
		msg := cmp.Or(e.Error, strings.TrimSpace(string(data)), resp.Status)
		switch resp.StatusCode {
		case http.StatusConflict:
			return fmt.Errorf("remote: %s: %w", msg, ErrRefused)
		case http.StatusNotFound:
			return fmt.Errorf("remote: %s: %w", msg, ErrNotFound)
		}
		return fmt.Errorf("remote: %s %s: %s", method, resp.Status, msg)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("remote: answer is not the API's JSON: %w", err)
	}
	return nil
}
