package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const contentType = "application/scim+json"

// request is one SCIM call.
type request struct {
	method string
	// path is relative to the base URL, e.g. "/Users/ID".
	path  string
	query url.Values
	body  any
	// ifMatch is sent as If-Match when not empty.
	ifMatch string
}

// response is what the caller needs of a successful call.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req, retrying 429, 5xx and network errors with capped, jittered
// backoff that honours Retry-After. Other statuses ≥ 300 return an *Error,
// as do 501 and 505: they say the server lacks what the request needs
// (PATCH, Bulk), which no retry changes, and callers fall back on them.
func (t *Target) do(ctx context.Context, req request) (*response, error) {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return nil, fmt.Errorf("scim: encode %s %s: %w", req.method, req.path, err)
		}
	}
	u := *t.base
	u.Path = t.base.Path + req.path
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		if err := t.wait(ctx); err != nil {
			return nil, err
		}
		resp, err := t.send(ctx, req, u.String(), payload, attempt > 0)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt >= t.maxRetries {
				return nil, fmt.Errorf("scim: %s %s: %w", req.method, req.path, err)
			}
			t.logger.WarnContext(ctx, "scim request failed; retrying", "method", req.method, "path", req.path, "err", err.Error(), "attempt", attempt+1)
		case retryable(resp.status):
			if attempt >= t.maxRetries {
				return nil, parseError(req.method, req.path, resp.status, resp.body, t.token)
			}
			wait = retryAfter(resp.header, time.Now())
			if resp.status == http.StatusTooManyRequests {
				t.pause(t.backoff(attempt, wait))
			}
			t.logger.WarnContext(ctx, "scim request throttled or failed; retrying", "method", req.method, "path", req.path, "status", resp.status, "attempt", attempt+1)
		case resp.status >= 300:
			return nil, parseError(req.method, req.path, resp.status, resp.body, t.token)
		default:
			return resp, nil
		}
		if err := sleep(ctx, t.backoff(attempt, wait)); err != nil {
			return nil, err
		}
	}
}

// retryable reports whether a status may be transient: 429 and 5xx, but
// not 501 Not Implemented nor 505 HTTP Version Not Supported.
func retryable(status int) bool {
	switch status {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return status == http.StatusTooManyRequests || status >= 500
}

func (t *Target) send(ctx context.Context, req request, u string, payload []byte, retry bool) (*response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+t.token)
	hr.Header.Set("Accept", contentType+", application/json")
	if payload != nil {
		hr.Header.Set("Content-Type", contentType)
	}
	if req.ifMatch != "" {
		hr.Header.Set("If-Match", req.ifMatch)
	}
	t.count(req.method, retry)
	resp, err := t.client.Do(hr)
	if err != nil {
		// *url.Error carries the URL, which holds no secret; the token is
		// only ever in a header.
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// wait applies RPM pacing and any tenant-wide pause after a 429.
func (t *Target) wait(ctx context.Context) error {
	t.mu.Lock()
	until := t.pauseUntil
	t.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if t.limiter != nil {
		return t.limiter.Wait(ctx)
	}
	return nil
}

func (t *Target) pause(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until := time.Now().Add(d); until.After(t.pauseUntil) {
		t.pauseUntil = until
	}
}

// backoff returns the wait before retry attempt+1: exponential with jitter,
// at least the server's Retry-After, at most maxBackoff.
func (t *Target) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := t.minBackoff << min(attempt, 20)
	d = d/2 + rand.N(d/2+1)
	d = max(d, retryAfter)
	return min(d, t.maxBackoff)
}

// retryAfter parses a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// decode unmarshals a response body; an empty body leaves out untouched.
func decode(resp *response, out any) error {
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("scim: decode response: %w", err)
	}
	return nil
}

// errorsAsURL reports whether err is a transport error (unreachable host).
func errorsAsURL(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}
