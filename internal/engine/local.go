package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/model"
)

// localQueue is the CLI's runner: a bounded pool of workers executing the
// steps of one run in this process. It decides nothing; a step that asks
// for a retry is put back after a pause, as Pub/Sub would redeliver it.
type localQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []queued
	running int
}

type queued struct {
	step     Step
	attempts int
}

// localRetries bounds how often one step is retried (about 3 s in all)
// before the queue gives up on it; the run then ends failed.
const localRetries = 30

func newLocalQueue() *localQueue {
	q := &localQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Publish implements Queue.
func (q *localQueue) Publish(_ context.Context, steps ...Step) error {
	q.mu.Lock()
	for _, s := range steps {
		q.items = append(q.items, queued{step: s})
	}
	q.mu.Unlock()
	q.cond.Broadcast()
	return nil
}

func (q *localQueue) requeue(it queued) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// drain runs steps on e's workers until none is queued or running. Final
// errors are collected; they are the run's failures to record its state,
// since a step's own problems are recorded in the job.
func (q *localQueue) drain(ctx context.Context, e *Engine) error {
	var (
		wg     sync.WaitGroup
		errMu  sync.Mutex
		failed []error
	)
	stop := context.AfterFunc(ctx, q.cond.Broadcast)
	defer stop()
	for range e.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, ok := q.next(ctx)
				if !ok {
					return
				}
				err := e.handle(ctx, q, it.step)
				if errors.Is(err, ErrRetry) && it.attempts < localRetries && ctx.Err() == nil {
					it.attempts++
					pause := time.Duration(min(it.attempts, 10)) * 10 * time.Millisecond
					time.AfterFunc(pause, func() { q.requeue(it); q.done() })
					continue
				}
				if err != nil && !errors.Is(err, ErrSuperseded) {
					errMu.Lock()
					failed = append(failed, fmt.Errorf("%s step of rule %q: %w", it.step.Kind, it.step.Rule, err))
					errMu.Unlock()
				}
				q.done()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(failed...)
}

// next takes a step, waiting while others run (they may publish more). It
// reports false when the queue is empty and idle, or ctx ended.
func (q *localQueue) next(ctx context.Context) (queued, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if q.running == 0 || ctx.Err() != nil {
			q.cond.Broadcast()
			return queued{}, false
		}
		q.cond.Wait()
	}
	if ctx.Err() != nil {
		return queued{}, false
	}
	it := q.items[0]
	// Clear the slot: the backing array outlives the steps taken from its
	// front, and an apply step holds its group's whole plan.
	q.items[0] = queued{}
	q.items = q.items[1:]
	q.running++
	return it, true
}

// done marks a taken step as finished (a retried step stays running until
// it is back in the queue, so the queue never looks idle meanwhile).
func (q *localQueue) done() {
	q.mu.Lock()
	q.running--
	q.mu.Unlock()
	q.cond.Broadcast()
}

// Run syncs the selected rules in this process, through the same steps
// the cloud runs, and returns the job as its last step left it. Rule-level
// problems are recorded in the job; the error is for failures to run or
// record the job itself.
func (e *Engine) Run(ctx context.Context, req Request) (model.Job, error) {
	if _, err := e.selectRules(req.Rule); err != nil {
		return model.Job{}, err
	}
	e.fresh()
	id := req.JobID
	if id == "" {
		id = NewJobID(e.opts.Now())
	}
	q := newLocalQueue()
	q.Publish(ctx, Step{Kind: StepStart, JobID: id, Request: &req})
	return e.wait(ctx, q, id)
}

// wait drains a local queue and returns the job. Nobody else carries an
// in-process run on, so a job still running once its queue is empty (a
// step gave up, or ctx ended) is failed and lets its rules go at once,
// rather than holding them until its lease runs out.
func (e *Engine) wait(ctx context.Context, q *localQueue, id string) (model.Job, error) {
	runErr := q.drain(ctx, e)
	ctx = context.WithoutCancel(ctx)
	j, err := e.store.Job(ctx, id)
	if err == nil && j.Status == model.JobRunning {
		reason := "the run stopped before it finished"
		if runErr != nil {
			reason += ": " + runErr.Error()
		}
		for _, rule := range j.Pending {
			if rerr := e.releaseRule(ctx, id, rule); rerr != nil {
				runErr = errors.Join(runErr, rerr)
			}
		}
		if ferr := e.failJob(ctx, id, reason); ferr != nil {
			runErr = errors.Join(runErr, ferr)
		}
		j, err = e.store.Job(ctx, id)
	}
	if err != nil {
		return j, errors.Join(runErr, fmt.Errorf("read job %s: %w", id, err))
	}
	if runErr != nil {
		return j, fmt.Errorf("job %s: %w", id, runErr)
	}
	return j, nil
}
