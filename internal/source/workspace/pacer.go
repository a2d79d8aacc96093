package workspace

import (
	"context"
	"sync"
	"time"
)

// DirectoryAPI is the API name under which the Directory API's pacers are
// shared when no endpoint override is configured.
const DirectoryAPI = "https://admin.googleapis.com/"

// AIMD tuning, as fractions of the configured ceiling so that a test that
// scales the quota and the ceiling together sees the same behaviour.
const (
	// cutFactor is what a throttle multiplies the rate by.
	cutFactor = 0.5
	// floorDivisor: the rate never falls below ceiling/floorDivisor.
	floorDivisor = 64
	// cooldownCalls: after a cut, the rate is not cut again for as long as
	// this many calls take at the ceiling (0.8s at 2,400 a minute), so a
	// burst of refusals of calls already under way counts once.
	cooldownCalls = 32
	// stepDivisor: each accepted call raises the rate by
	// ceiling/stepDivisor, so climbing back from a halving takes a few
	// thousand calls: the rate recovers slowly.
	stepDivisor = 4096
)

// Pacer spaces the calls that spend one quota, additive-increase
// multiplicative-decrease: a throttled call (HTTP 429, or 403
// rateLimitExceeded / userRateLimitExceeded / quotaExceeded) halves the
// rate, and each accepted call raises it by a small step, up to the
// configured ceiling. Calls are spread evenly, never in bursts, so that no
// sliding window of a minute holds more than the rate allows.
//
// Google's Admin SDK quota is per user (the impersonated admin) and per API
// project, shared by reads and writes, so there is one Pacer per API and
// admin subject in a process: get it with SharedPacer. It is safe for
// concurrent use.
//
// Use: t, err := p.Wait(ctx); make the call; then p.Throttled(t, retryAfter)
// if the API refused it for quota, else p.Accepted(t).
type Pacer struct {
	mu        sync.Mutex
	ceiling   float64 // queries a minute
	rate      float64 // queries a minute, floor <= rate <= ceiling
	next      time.Time
	cutTime   time.Time
	issued    uint64 // tickets handed out
	cutAt     uint64 // tickets up to this one were issued before the last cut
	throttles int64
}

// Ticket is one call's permit from Wait, handed back with its outcome.
type Ticket struct{ n uint64 }

// PacerStats is a pacer's state, for a job record or a log line.
type PacerStats struct {
	// QPM is the effective rate now, in queries a minute.
	QPM float64
	// CeilingQPM is the configured rate the pacer recovers towards.
	CeilingQPM float64
	// Throttles counts the rate cuts since the pacer was made.
	Throttles int64
}

// NewPacer returns a pacer that starts at, and never exceeds, qpm queries
// a minute. Most callers want SharedPacer instead.
func NewPacer(qpm int) *Pacer {
	if qpm <= 0 {
		qpm = DefaultQPM
	}
	return &Pacer{ceiling: float64(qpm), rate: float64(qpm)}
}

var (
	pacersMu sync.Mutex
	pacers   = map[[2]string]*Pacer{}
)

// SharedPacer returns the process's pacer for one quota: api (DirectoryAPI,
// or the endpoint a test or emulator overrides it with) and the admin
// subject. The first caller's qpm sets the ceiling; a later caller with a
// lower qpm lowers it, so that the strictest configuration sharing a quota
// wins.
func SharedPacer(api, subject string, qpm int) *Pacer {
	if qpm <= 0 {
		qpm = DefaultQPM
	}
	pacersMu.Lock()
	defer pacersMu.Unlock()
	key := [2]string{api, subject}
	p := pacers[key]
	if p == nil {
		p = NewPacer(qpm)
		pacers[key] = p
		return p
	}
	p.mu.Lock()
	if c := float64(qpm); c < p.ceiling {
		p.ceiling = c
		p.rate = min(p.rate, c)
	}
	p.mu.Unlock()
	return p
}

// Wait blocks until the next call may start, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) (Ticket, error) {
	p.mu.Lock()
	now := time.Now()
	start := p.next
	if start.Before(now) {
		start = now
	}
	p.next = start.Add(p.interval())
	p.issued++
	t := Ticket{n: p.issued}
	p.mu.Unlock()
	if d := time.Until(start); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-timer.C:
		}
	}
	return t, nil
}

// Accepted reports that t's call was not refused for quota; the rate
// creeps back up.
func (p *Pacer) Accepted(Ticket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = min(p.ceiling, p.rate+p.ceiling/stepDivisor)
}

// Throttled reports that t's call was refused for quota. The rate is cut
// once per wave: calls already paced at the old rate when it was cut, and
// refusals within a short cooldown after it, do not cut it again. A
// Retry-After holds every call of the quota back that long, since none of
// them would be accepted sooner.
func (p *Pacer) Throttled(t Ticket, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	cooldown := time.Duration(float64(time.Minute) * cooldownCalls / p.ceiling)
	if t.n > p.cutAt && now.Sub(p.cutTime) >= cooldown {
		p.rate = max(p.ceiling/floorDivisor, p.rate*cutFactor)
		p.cutAt = p.issued
		p.cutTime = now
		p.throttles++
		// Calls reserved from now on use the new spacing.
		if next := now.Add(p.interval()); next.After(p.next) {
			p.next = next
		}
	}
	if retryAfter > 0 {
		if until := now.Add(min(retryAfter, maxRetryAfter)); until.After(p.next) {
			p.next = until
		}
	}
}

// Stats returns the pacer's current state.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PacerStats{QPM: p.rate, CeilingQPM: p.ceiling, Throttles: p.throttles}
}

func (p *Pacer) interval() time.Duration {
	return time.Duration(float64(time.Minute) / p.rate)
}
