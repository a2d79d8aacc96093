// Package memtarget is an in-memory target for engine tests. It keeps the
// same contract as the real targets (it passes internal/target/targettest):
// creates conflict on an existing userName or displayName unless adopting,
// updates and disables of a missing object fail with target.ErrNotFound,
// and membership changes are idempotent. It counts every write.
package memtarget

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/targettest"
)

// Target is an in-memory target and its server state. It is safe for
// concurrent use.
type Target struct {
	mu      sync.Mutex
	next    int
	users   map[string]*targettest.User
	groups  map[string]*group
	writes  int
	patches int
	// BatchSize bounds member changes per ModifyMembers request
	// (default 100); each request counts as one patch.
	BatchSize int
}

type group struct {
	targettest.Group
	members map[string]bool
}

// New returns an empty target.
func New() *Target {
	return &Target{users: map[string]*targettest.User{}, groups: map[string]*group{}, BatchSize: 100}
}

func (t *Target) id(prefix string) string {
	t.next++
	return fmt.Sprintf("%s-%d", prefix, t.next)
}

// CreateUser implements engine.Target.
func (t *Target) CreateUser(ctx context.Context, u model.User, opts target.CreateOptions) (target.Created, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, have := range t.users {
		if strings.EqualFold(have.UserName, u.Email) {
			if have.ExternalID == u.ID {
				return target.Created{ID: id, TakenOver: true}, nil
			}
			if !opts.Adopt {
				return target.Created{}, fmt.Errorf("user %s: %w", u.Email, target.ErrConflict)
			}
			return target.Created{ID: id, Adopted: true}, nil
		}
	}
	t.writes++
	id := t.id("u")
	t.users[id] = &targettest.User{ID: id, UserName: u.Email, ExternalID: u.ID, Active: opts.Active}
	return target.Created{ID: id}, nil
}

// UpdateUser implements engine.Target.
func (t *Target) UpdateUser(ctx context.Context, id string, u model.User) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	have, ok := t.users[id]
	if !ok {
		return fmt.Errorf("user %s: %w", id, target.ErrNotFound)
	}
	t.writes++
	have.UserName, have.Active = u.Email, !u.Suspended
	return nil
}

// DisableUser implements engine.Target.
func (t *Target) DisableUser(ctx context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	have, ok := t.users[id]
	if !ok {
		return fmt.Errorf("user %s: %w", id, target.ErrNotFound)
	}
	t.writes++
	have.Active = false
	return nil
}

// DeleteUser implements engine.Target; deleting a deleted user is done.
func (t *Target) DeleteUser(ctx context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.users[id]; !ok {
		return nil
	}
	t.writes++
	delete(t.users, id)
	for _, g := range t.groups {
		delete(g.members, id)
	}
	return nil
}

// CreateGroup implements engine.Target.
func (t *Target) CreateGroup(ctx context.Context, g model.GroupInfo, opts target.CreateOptions) (target.Created, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, have := range t.groups {
		if strings.EqualFold(have.DisplayName, g.Email) {
			if have.ExternalID == g.ID {
				return target.Created{ID: id, TakenOver: true}, nil
			}
			if !opts.Adopt {
				return target.Created{}, fmt.Errorf("group %s: %w", g.Email, target.ErrConflict)
			}
			return target.Created{ID: id, Adopted: true}, nil
		}
	}
	t.writes++
	id := t.id("g")
	t.groups[id] = &group{Group: targettest.Group{ID: id, DisplayName: g.Email, ExternalID: g.ID}, members: map[string]bool{}}
	return target.Created{ID: id}, nil
}

// UpdateGroup implements engine.Target.
func (t *Target) UpdateGroup(ctx context.Context, id string, g model.GroupInfo) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	have, ok := t.groups[id]
	if !ok {
		return fmt.Errorf("group %s: %w", id, target.ErrNotFound)
	}
	t.writes++
	have.DisplayName = g.Email
	return nil
}

// ModifyMembers implements engine.Target, one patch per BatchSize changes.
func (t *Target) ModifyMembers(ctx context.Context, groupID string, add, remove []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[groupID]
	if !ok {
		return fmt.Errorf("group %s: %w", groupID, target.ErrNotFound)
	}
	n := len(add) + len(remove)
	if n == 0 {
		return nil
	}
	batch := max(t.BatchSize, 1)
	t.patches += (n + batch - 1) / batch
	t.writes += (n + batch - 1) / batch
	for _, id := range add {
		g.members[id] = true
	}
	for _, id := range remove {
		delete(g.members, id)
	}
	return nil
}

// User implements targettest.State.
func (t *Target) User(ctx context.Context, id string) (targettest.User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users[id]
	if !ok {
		return targettest.User{}, fmt.Errorf("user %s: %w", id, target.ErrNotFound)
	}
	return *u, nil
}

// Group implements targettest.State.
func (t *Target) Group(ctx context.Context, id string) (targettest.Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	if !ok {
		return targettest.Group{}, fmt.Errorf("group %s: %w", id, target.ErrNotFound)
	}
	out := g.Group
	out.Members = nil
	for id := range g.members {
		out.Members = append(out.Members, id)
	}
	sort.Strings(out.Members)
	return out, nil
}

// Writes counts the write requests so far.
func (t *Target) Writes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writes
}

// Members returns the userNames of the members of the group whose
// displayName is email, sorted.
func (t *Target) Members(email string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, g := range t.groups {
		if !strings.EqualFold(g.DisplayName, email) {
			continue
		}
		for id := range g.members {
			out = append(out, t.users[id].UserName)
		}
	}
	sort.Strings(out)
	return out
}

// ActiveUsers returns the userNames of the active users, sorted.
func (t *Target) ActiveUsers() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, u := range t.users {
		if u.Active {
			out = append(out, u.UserName)
		}
	}
	sort.Strings(out)
	return out
}
