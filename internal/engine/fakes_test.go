package engine_test

import (
	"context"
	"strings"
	"sync"

	"github.com/groupsync/groupsync/internal/model"
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
