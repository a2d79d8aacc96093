package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/model"
)

// userCache keeps each source's user directory for a short while, so a run
// (or a warm cloud instance handling many groups) sweeps users.list once
// instead of once per group.
type userCache struct {
	now func() time.Time
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]*userEntry
}

type userEntry struct {
	once    sync.Once
	users   map[string]model.User
	err     error
	fetched time.Time
}

func newUserCache(now func() time.Time, ttl time.Duration) *userCache {
	return &userCache{now: now, ttl: ttl, entries: map[string]*userEntry{}}
}

// get returns the directory of the named source, sweeping it on a miss.
// Failures are not cached: the next caller tries again.
func (c *userCache) get(ctx context.Context, name string, src Source) (map[string]model.User, error) {
	c.mu.Lock()
	ent, ok := c.entries[name]
	if ok && (ent.err != nil || (!ent.fetched.IsZero() && c.now().Sub(ent.fetched) > c.ttl)) {
		ok = false
	}
	if !ok {
		ent = &userEntry{}
		c.entries[name] = ent
	}
	c.mu.Unlock()

	ent.once.Do(func() {
		if ix, ok := src.(userIndexer); ok {
			users, err := ix.UserIndex(ctx)
			c.mu.Lock()
			defer c.mu.Unlock()
			if err != nil {
				ent.err = fmt.Errorf("source %s: list users: %w", name, err)
				return
			}
			ent.users, ent.fetched = users, c.now()
			return
		}
		list, err := src.ListUsers(ctx)
		// err and fetched are read under c.mu by callers deciding
		// whether the entry is still good, so write them under it too.
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			ent.err = fmt.Errorf("source %s: list users: %w", name, err)
			return
		}
		ent.users = make(map[string]model.User, len(list))
		for _, u := range list {
			ent.users[u.ID] = u
		}
		ent.fetched = c.now()
	})
	return ent.users, ent.err
}

// userIndexer is a source whose user sweep is a map by ID already: the
// engine shares it, read-only, rather than build a second copy (100,000
// users take tens of megabytes).
type userIndexer interface {
	UserIndex(ctx context.Context) (map[string]model.User, error)
}

// drop drops one source's cached directory: its rules are past their
// reads, and 100,000 users should not stay in memory while they apply.
func (c *userCache) drop(name string) {
	c.mu.Lock()
	delete(c.entries, name)
	c.mu.Unlock()
}

// forget drops every cached directory, so the next run reads fresh users.
func (c *userCache) forget() {
	c.mu.Lock()
	c.entries = map[string]*userEntry{}
	c.mu.Unlock()
}

// resetter is implemented by sources that cache reads within a run.
type resetter interface {
	Reset()
}

// fresh starts a new run's reads: cached users, source caches and the
// targets' indexes of their existing objects go.
func (e *Engine) fresh() {
	e.users.forget()
	for _, src := range e.sources {
		if r, ok := src.(resetter); ok {
			r.Reset()
		}
	}
	for _, tgt := range e.targets {
		if r, ok := tgt.(resetter); ok {
			r.Reset()
		}
	}
}

// freshFor resets the caches when a task belongs to a job this process has
// not seen yet, so one warm instance never mixes two runs' reads while the
// tasks of one run share them.
func (e *Engine) freshFor(jobID string) {
	e.jobMu.Lock()
	defer e.jobMu.Unlock()
	if e.lastJob == jobID {
		return
	}
	e.lastJob = jobID
	e.fresh()
}
