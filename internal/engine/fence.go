package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// A rule is run by one job at a time: the job holds the lease "rule:NAME"
// from its start step until the rule's finish. Every step that writes
// checks it first (fence), so an older job never applies or deprovisions
// once a newer one owns the rule. The lease is renewed as the job makes
// progress; one that expires marks a stuck job, which the next run reaps.

func ruleKey(rule string) string { return "rule:" + rule }

// claimRule takes the rule for jobID. It returns the job that holds it
// instead when that job is alive. A holder whose lease expired, or that has
// ended, is replaced, and a holder still marked running is failed with the
// reason.
func (e *Engine) claimRule(ctx context.Context, jobID, rule string) (busyWith string, err error) {
	key := ruleKey(rule)
	l, ok, err := e.store.Lease(ctx, key)
	if err != nil {
		return "", retry(fmt.Errorf("rule %s: read lease: %w", rule, err))
	}
	now := e.opts.Now()
	if ok && l.Holder != "" && l.Holder != jobID && l.Held(now) {
		j, err := e.store.Job(ctx, l.Holder)
		switch {
		case err == nil && j.Status == model.JobRunning:
			return l.Holder, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return "", retry(fmt.Errorf("rule %s: read holder job %s: %w", rule, l.Holder, err))
		}
		// The holder ended without letting go (it died after its last
		// write): its lease is free for the taking.
		if err := e.store.ReleaseLease(ctx, key, l.Holder); err != nil {
			return "", retry(fmt.Errorf("rule %s: release ended job's lease: %w", rule, err))
		}
	}
	got, err := e.store.AcquireLease(ctx, key, jobID, e.opts.RuleLeaseTTL)
	if err != nil {
		return "", retry(fmt.Errorf("rule %s: lease: %w", rule, err))
	}
	if !got {
		return "", retry(fmt.Errorf("rule %s: lease taken concurrently", rule))
	}
	if ok && l.Holder != "" && l.Holder != jobID {
		reason := fmt.Sprintf("rule %s: no progress for %s; job %s took the rule over", rule, e.opts.RuleLeaseTTL, jobID)
		if err := e.failJob(ctx, l.Holder, reason); err != nil {
			return "", retry(err)
		}
	}
	return "", nil
}

// fence checks that jobID still owns the rule, renewing the lease when half
// of it is spent, so a live job keeps the rule while a stuck one loses it.
func (e *Engine) fence(ctx context.Context, jobID, rule string) error {
	key := ruleKey(rule)
	l, ok, err := e.store.Lease(ctx, key)
	if err != nil {
		return retry(fmt.Errorf("rule %s: read lease: %w", rule, err))
	}
	if !ok || l.Holder != jobID {
		return fmt.Errorf("job %s, rule %s: %w", jobID, rule, ErrSuperseded)
	}
	if l.Expires.Sub(e.opts.Now()) > e.opts.RuleLeaseTTL/2 {
		return nil
	}
	got, err := e.store.AcquireLease(ctx, key, jobID, e.opts.RuleLeaseTTL)
	if err != nil {
		return retry(fmt.Errorf("rule %s: renew lease: %w", rule, err))
	}
	if !got {
		return fmt.Errorf("job %s, rule %s: %w", jobID, rule, ErrSuperseded)
	}
	return nil
}

// releaseRule lets the rule go once the job's part in it has ended.
func (e *Engine) releaseRule(ctx context.Context, jobID, rule string) error {
	if err := e.store.ReleaseLease(ctx, ruleKey(rule), jobID); err != nil {
		return fmt.Errorf("rule %s: release lease: %w", rule, err)
	}
	return nil
}

// failJob ends a running job as failed, saying why.
func (e *Engine) failJob(ctx context.Context, jobID, reason string) error {
	now := e.opts.Now()
	var ended bool
	j, err := e.store.UpdateJob(ctx, jobID, func(j *model.Job) error {
		ended = store.Fail(j, reason, now)
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("job %s: mark failed: %w", jobID, err)
	}
	if err == nil && ended {
		e.jobEnded(ctx, j)
	}
	return nil
}

// Reap marks failed every recent running job that has stopped making
// progress: a rule it still has to finish is no longer leased to it, and
// the lease has been gone for longer than a step may take. It returns the
// jobs it failed. Scheduled runs call it, so a stuck job never stays
// "running" for longer than a schedule period after its lease ran out.
func (e *Engine) Reap(ctx context.Context) ([]string, error) {
	jobs, err := e.store.Jobs(ctx, 50)
	if err != nil {
		return nil, fmt.Errorf("reap: list jobs: %w", err)
	}
	var failed []string
	now := e.opts.Now()
	for _, j := range jobs {
		if j.Status != model.JobRunning || len(j.Pending) == 0 || now.Sub(lastProgress(j)) < e.opts.RuleLeaseTTL {
			continue
		}
		alive := false
		for _, rule := range j.Pending {
			l, ok, err := e.store.Lease(ctx, ruleKey(rule))
			if err != nil {
				return failed, fmt.Errorf("reap: read lease of rule %s: %w", rule, err)
			}
			if ok && l.Holder == j.ID && l.Held(now) {
				alive = true
				break
			}
		}
		if alive {
			continue
		}
		reason := fmt.Sprintf("no progress since %s (more than %s): the run stopped; the next run starts afresh",
			lastProgress(j).UTC().Format(time.RFC3339), e.opts.RuleLeaseTTL)
		if err := e.failJob(ctx, j.ID, reason); err != nil {
			return failed, err
		}
		failed = append(failed, j.ID)
	}
	return failed, nil
}

func lastProgress(j model.Job) time.Time {
	if j.Updated.After(j.Started) {
		return j.Updated
	}
	return j.Started
}
