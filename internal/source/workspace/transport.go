package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"google.golang.org/api/googleapi"
)

// maxRetryAfter bounds how long a Retry-After header can make one request
// wait.
const maxRetryAfter = 2 * time.Minute

// responseHeaderTimeout bounds how long one attempt waits for Google to
// start answering: the retries, not a hung connection, should decide how
// long a read takes, and a request's context may have no deadline.
const responseHeaderTimeout = 2 * time.Minute

// defaultBase is the transport under every Directory and token request.
func defaultBase() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = responseHeaderTimeout
	return t
}

// DefaultQuotaPatience is how long quota refusals are retried when the
// request's context has no deadline.
const DefaultQuotaPatience = 30 * time.Minute

// retryTransport paces requests, counts them and retries the failures
// Google documents as transient, with jittered exponential backoff that
// honours Retry-After. Every attempt is paced and counted.
//
// Quota refusals (429, 403 usageLimits) are retried until the request's
// context would end (or for quotaPatience when it has no deadline): they
// slow the shared pacer down and clear by themselves, so giving up after a
// fixed count would only turn a slow run into an incomplete one. Other
// transient failures (5xx, network errors) get maxAttempts.
type retryTransport struct {
	base          http.RoundTripper
	pacer         *Pacer // nil: no pacing
	calls         *atomic.Int64
	maxAttempts   int
	minBackoff    time.Duration
	maxBackoff    time.Duration
	quotaPatience time.Duration
	log           *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.GetBody != nil
	giveUp := time.Now().Add(t.quotaPatience)
	if d, ok := ctx.Deadline(); ok {
		giveUp = d
	}
	failures := 0 // non-quota failures
	for attempt := 1; ; attempt++ {
		var ticket Ticket
		if t.pacer != nil {
			var err error
			if ticket, err = t.pacer.Wait(ctx); err != nil {
				return nil, err
			}
		}
		t.calls.Add(1)
		if c, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
			c.Add(1)
		}
		r := req
		if attempt > 1 && req.Body != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		kind, after := classify(ctx, resp, err)
		if t.pacer != nil {
			if kind == failQuota {
				t.pacer.Throttled(ticket, after)
			} else if err == nil {
				t.pacer.Accepted(ticket)
			}
		}
		var delay time.Duration
		switch kind {
		case failNone:
			return resp, err
		case failQuota:
			// The pacer spaces the retries; the backoff only jitters them.
			delay = t.backoff(min(attempt, 3))
			if t.pacer == nil {
				delay = max(delay, min(after, maxRetryAfter))
			}
			if !time.Now().Add(delay).Before(giveUp) {
				return resp, err
			}
		case failTransient:
			failures++
			if failures >= t.maxAttempts {
				return resp, err
			}
			delay = max(t.backoff(failures), min(after, maxRetryAfter))
		}
		if !replayable {
			return resp, err
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		t.log.DebugContext(ctx, "retrying request", "url", req.URL.Path, "status", status, "error", err,
			"attempt", attempt, "delay", delay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// backoff is min(max, min·2^(attempt-1)), jittered to between half and
// all of it so that concurrent workers do not retry in step.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.minBackoff << min(attempt-1, 20)
	if d <= 0 || d > t.maxBackoff {
		d = t.maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// failure is how a response failed, as far as retrying goes.
type failure int

const (
	failNone      failure = iota // success, or an error retrying cannot clear
	failQuota                    // 429 or a 403 rate limit
	failTransient                // 5xx or a network error
)

// classify sorts a response for retrying, with its Retry-After. For a 403
// it reads the body to find the reason and puts it back for the caller.
func classify(ctx context.Context, resp *http.Response, err error) (failure, time.Duration) {
	if err != nil {
		if ctx.Err() != nil {
			return failNone, 0
		}
		return failTransient, 0
	}
	after := retryAfter(resp.Header.Get("Retry-After"))
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests:
		return failQuota, after
	case c >= 500:
		return failTransient, after
	case c == http.StatusForbidden:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if isRateLimit(body) {
			return failQuota, after
		}
	}
	return failNone, 0
}

// rateLimitReasons are the 403 reasons that clear by themselves.
var rateLimitReasons = map[string]bool{
	"rateLimitExceeded":     true,
	"userRateLimitExceeded": true,
	"quotaExceeded":         true,
}

func isRateLimit(body []byte) bool {
	var e struct {
		Error struct {
			Errors []struct {
				Domain string `json:"domain"`
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, x := range e.Error.Errors {
		if x.Domain == "usageLimits" || rateLimitReasons[x.Reason] {
			return true
		}
	}
	return false
}

// transient reports whether a final error is one that retries could have
// cleared: the read gave up, it was not refused.
func transient(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		if ge.Code == http.StatusTooManyRequests || ge.Code >= 500 {
			return true
		}
		if ge.Code == http.StatusForbidden {
			for _, x := range ge.Errors {
				if rateLimitReasons[x.Reason] {
					return true
				}
			}
		}
		return false
	}
	if _, _, ok := retrieveError(err); ok {
		return false
	}
	var se *signJWTError
	if errors.As(err, &se) {
		return false
	}
	// Network errors after every retry.
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

type counterKey struct{}

// withCounter makes the transport also count a request's attempts in c,
// so one ReadMembers can report its own calls.
func withCounter(ctx context.Context, c *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, c)
}
