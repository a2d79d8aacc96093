package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
)

// LocalStarter runs each started job in-process, in the background, with
// the engine `groupsync sync` uses. It is the Starter of `groupsync serve`.
type LocalStarter struct {
	cfg    *config.File
	engine *engine.Engine
	log    *slog.Logger

	mu      sync.Mutex
	wg      sync.WaitGroup
	cancels map[string]context.CancelFunc
	maxRuns int
}

// DefaultMaxRuns caps the runs a LocalStarter has in progress at once.
const DefaultMaxRuns = 4

// SetMaxRuns changes the cap on runs in progress at once (default
// DefaultMaxRuns); a Start beyond it fails with ErrTooManyRuns. Below 1
// means the default.
func (s *LocalStarter) SetMaxRuns(n int) {
	if n < 1 {
		n = DefaultMaxRuns
	}
	s.mu.Lock()
	s.maxRuns = n
	s.mu.Unlock()
}

// NewLocalStarter returns a starter running jobs on e, whose config is cfg.
func NewLocalStarter(cfg *config.File, e *engine.Engine, log *slog.Logger) *LocalStarter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LocalStarter{cfg: cfg, engine: e, log: log, cancels: map[string]context.CancelFunc{}, maxRuns: DefaultMaxRuns}
}

// Start implements Starter. The run outlives the request: its context is
// detached from ctx and cancelled only by Shutdown.
func (s *LocalStarter) Start(ctx context.Context, req engine.Request) (string, error) {
	if err := CheckRequest(s.cfg, req); err != nil {
		return "", err
	}
	s.mu.Lock()
	if len(s.cancels) >= s.maxRuns {
		s.mu.Unlock()
		return "", fmt.Errorf("%d runs in progress: %w", s.maxRuns, ErrTooManyRuns)
	}
	req.JobID = engine.NewJobID(time.Now())
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancels[req.JobID] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.cancels, req.JobID)
			s.mu.Unlock()
			cancel()
		}()
		j, err := s.engine.Run(runCtx, req)
		if err != nil {
			s.log.Error("run failed", "job", req.JobID, "err", err)
			return
		}
		s.log.Info("run finished", "job", j.ID, "status", j.Status, "done", j.Done, "total", j.Total)
	}()
	return req.JobID, nil
}

// Shutdown waits for running jobs. When ctx ends first it cancels them (a
// cancelled group keeps its lease until the lease expires, and its job
// stays running) and waits for them to return.
func (s *LocalStarter) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for _, cancel := range s.cancels {
		cancel()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}
