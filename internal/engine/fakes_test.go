package engine_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// fakeSource is an in-memory directory.
type fakeSource struct {
	mu         sync.Mutex
	groups     []model.GroupInfo
	members    map[string][]string // group ID → user IDs
	users      map[string]model.User
	incomplete map[string]bool
}

func newFakeSource() *fakeSource {
	return &fakeSource{members: map[string][]string{}, users: map[string]model.User{}, incomplete: map[string]bool{}}
}

func (s *fakeSource) addUser(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = model.User{ID: id, Email: email, GivenName: strings.ToUpper(id[:1]), FamilyName: id, DisplayName: id}
}

func (s *fakeSource) addGroup(id, email string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append(s.groups, model.GroupInfo{ID: id, Email: email, Name: id})
	s.members[id] = members
}

func (s *fakeSource) setMembers(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[id] = members
}

func (s *fakeSource) ListGroups(ctx context.Context) ([]model.GroupInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]model.GroupInfo(nil), s.groups...), nil
}

func (s *fakeSource) ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := model.Membership{Group: g, Calls: 1}
	for _, id := range s.members[g.ID] {
		m.Members = append(m.Members, model.Member{ID: id, Email: s.users[id].Email})
	}
	if s.incomplete[g.ID] {
		// Like a 503 on the second page: only part of the members came back.
		m.Members = m.Members[:len(m.Members)/2]
		m.Incomplete = true
		m.Problems = []string{"members page 2: 503 backendError after retries"}
	}
	return m, nil
}

func (s *fakeSource) ListUsers(ctx context.Context) ([]model.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]model.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	return out, nil
}

// fakeTarget is an in-memory SCIM-like target that counts writes.
type fakeTarget struct {
	mu      sync.Mutex
	next    int
	users   map[string]fakeUser // target ID →
	groups  map[string]map[string]bool
	gnames  map[string]string // target group ID → email
	writes  int
	patches int
}

type fakeUser struct {
	email, externalID string
	active            bool
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{users: map[string]fakeUser{}, groups: map[string]map[string]bool{}, gnames: map[string]string{}}
}

func (t *fakeTarget) id(prefix string) string {
	t.next++
	return fmt.Sprintf("%s-%d", prefix, t.next)
}

func (t *fakeTarget) CreateUser(ctx context.Context, u model.User, opts target.CreateOptions) (target.Created, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, have := range t.users {
		if strings.EqualFold(have.email, u.Email) {
			if !opts.Adopt {
				return target.Created{}, fmt.Errorf("user %s: %w", u.Email, target.ErrConflict)
			}
			return target.Created{ID: id, Adopted: true}, nil
		}
	}
	t.writes++
	id := t.id("u")
	t.users[id] = fakeUser{email: u.Email, externalID: u.ID, active: opts.Active}
	return target.Created{ID: id}, nil
}

func (t *fakeTarget) UpdateUser(ctx context.Context, id string, u model.User) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	have, ok := t.users[id]
	if !ok {
		return target.ErrNotFound
	}
	have.email, have.active = u.Email, !u.Suspended
	t.users[id] = have
	return nil
}

func (t *fakeTarget) DisableUser(ctx context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	have := t.users[id]
	have.active = false
	t.users[id] = have
	return nil
}

func (t *fakeTarget) DeleteUser(ctx context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	delete(t.users, id)
	return nil
}

func (t *fakeTarget) CreateGroup(ctx context.Context, g model.GroupInfo, opts target.CreateOptions) (target.Created, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	id := t.id("g")
	t.groups[id] = map[string]bool{}
	t.gnames[id] = g.Email
	return target.Created{ID: id}, nil
}

func (t *fakeTarget) UpdateGroup(ctx context.Context, id string, g model.GroupInfo) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	t.gnames[id] = g.Email
	return nil
}

func (t *fakeTarget) ModifyMembers(ctx context.Context, groupID string, add, remove []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	t.patches++
	g, ok := t.groups[groupID]
	if !ok {
		return target.ErrNotFound
	}
	for _, id := range add {
		g[id] = true
	}
	for _, id := range remove {
		delete(g, id)
	}
	return nil
}

// members returns the emails of a target group's members, by group email.
func (t *fakeTarget) members(email string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for gid, name := range t.gnames {
		if name != email {
			continue
		}
		for uid := range t.groups[gid] {
			out = append(out, t.users[uid].email)
		}
	}
	sort.Strings(out)
	return out
}

func (t *fakeTarget) writeCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writes
}
