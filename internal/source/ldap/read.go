package ldap

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/groupsync/groupsync/internal/model"
)

// ErrGroupNotFound is wrapped by ReadMembers when no group in scope has the
// ID asked for.
var ErrGroupNotFound = errors.New("group not found")

// userIndex is one sweep of the users in scope.
type userIndex struct {
	byDN  map[string]model.User // by normDN
	byUID map[string]model.User // by lower-cased uid, for memberUid
	byID  map[string]model.User
	list  []model.User
}

// groupIndex is one sweep of the groups in scope, with their members.
type groupIndex struct {
	byDN map[string]*group
	byID map[string]*group
	list []*group
}

// ListGroups lists every group that group_filter matches under base_dn. A
// listing that fails on any page, or that the server answers with
// referrals it could not follow, is an error: a partial listing must never
// look like deleted groups.
func (s *Source) ListGroups(ctx context.Context) ([]model.GroupInfo, error) {
	idx, err := s.groupIndex(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.GroupInfo, 0, len(idx.list))
	for _, g := range idx.list {
		out = append(out, g.info)
	}
	return out, nil
}

// ListUsers returns every user that user_filter matches, disabled ones
// included, sorted by ID. Entries without the ID attribute are left out.
func (s *Source) ListUsers(ctx context.Context) ([]model.User, error) {
	idx, err := s.userIndex(ctx)
	if err != nil {
		return nil, err
	}
	return idx.list, nil
}

// PasswordHash returns a user's password hash from this run's sweep, ""
// when the directory holds none (or the bind DN may not read it). The
// engine asks for it when it creates the user, so the hash never passes
// through the store.
func (s *Source) PasswordHash(ctx context.Context, id string) (string, error) {
	idx, err := s.userIndex(ctx)
	if err != nil {
		return "", err
	}
	return idx.byID[id].PasswordHash, nil
}

// userIndex returns this run's user sweep, reading it on first use. A
// failed sweep is not kept.
func (s *Source) userIndex(ctx context.Context) (*userIndex, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users != nil {
		return s.users, nil
	}
	idx := &userIndex{byDN: map[string]model.User{}, byUID: map[string]model.User{}, byID: map[string]model.User{}}
	err := s.sweep(ctx, "users", s.cfg.UserFilter, s.userAttrs(), func(e *ldap.Entry) {
		u := s.user(e)
		idx.byDN[normDN(e.DN)] = u
		for _, uid := range e.GetEqualFoldAttributeValues(s.uidKey) {
			idx.byUID[strings.ToLower(uid)] = u
		}
		if u.ID != "" {
			idx.byID[u.ID] = u
			idx.list = append(idx.list, u)
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(idx.list, func(i, j int) bool { return idx.list[i].ID < idx.list[j].ID })
	s.users = idx
	return idx, nil
}

func (s *Source) groupIndex(ctx context.Context) (*groupIndex, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups != nil {
		return s.groups, nil
	}
	idx := &groupIndex{byDN: map[string]*group{}, byID: map[string]*group{}}
	var noID []string
	err := s.sweep(ctx, "groups", s.cfg.GroupFilter, s.groupAttrs(), func(e *ldap.Entry) {
		g := s.parseGroup(e)
		if g.info.ID == "" {
			noID = append(noID, e.DN)
			return
		}
		idx.byDN[normDN(e.DN)] = g
		idx.byID[g.info.ID] = g
		idx.list = append(idx.list, g)
	})
	if err != nil {
		return nil, err
	}
	if len(noID) > 0 {
		return nil, fmt.Errorf("ldap: list groups: %d group(s) have no %s, e.g. %s", len(noID), strings.Join(s.cfg.IDAttrs, "|"), noID[0])
	}
	s.groups = idx
	return idx, nil
}

// sweep runs one paged search over base_dn; referrals make it fail.
func (s *Source) sweep(ctx context.Context, what, filter string, attrs []string, each func(*ldap.Entry)) error {
	c, release, err := s.conn(ctx)
	if err != nil {
		return fmt.Errorf("ldap: list %s: %w", what, err)
	}
	defer release()
	p, err := s.search(ctx, c, s.cfg.BaseDN, s.scope, filter, attrs, each)
	if err != nil {
		return fmt.Errorf("ldap: list %s: %w", what, err)
	}
	if len(p.referrals) > 0 {
		return fmt.Errorf("ldap: list %s: the server referred part of %s to %s, which groupsync does not follow; set base_dn to a subtree without referrals",
			what, s.cfg.BaseDN, strings.Join(p.referrals, " "))
	}
	return nil
}

// lookup is one member DN outside the sweeps, read once per run.
type lookup struct {
	entry *ldap.Entry
	err   error
}

// lookupDN reads a member DN that neither sweep holds. Only definite
// answers (found, no such object) are cached.
func (s *Source) lookupDN(ctx context.Context, dn string) (*ldap.Entry, error) {
	key := normDN(dn)
	s.mu.Lock()
	l, ok := s.lookups[key]
	s.mu.Unlock()
	if ok {
		return l.entry, l.err
	}
	c, release, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	e, err := s.read(c, dn, append(s.groupAttrs(), s.userAttrs()...))
	if err == nil || ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		s.mu.Lock()
		s.lookups[key] = &lookup{entry: e, err: err}
		s.mu.Unlock()
	}
	return e, err
}

// ReadMembers reads g's members, flattened to users per opts. A page,
// range, member DN or referral that cannot be read or resolved makes the
// result Incomplete, with the members that could be resolved; an error
// means g itself could not be read.
func (s *Source) ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error) {
	m := model.Membership{Group: g}
	groups, err := s.groupIndex(ctx)
	if err != nil {
		return m, fmt.Errorf("ldap: read members of %s: %w", g.Email, err)
	}
	top, ok := groups.byID[g.ID]
	if !ok {
		return m, fmt.Errorf("ldap: read members of %s: %w: no entry with %s %s", g.Email, ErrGroupNotFound, strings.Join(s.cfg.IDAttrs, "|"), g.ID)
	}
	users, err := s.userIndex(ctx)
	if err != nil {
		return m, fmt.Errorf("ldap: read members of %s: %w", g.Email, err)
	}
	f := &flattener{s: s, groups: groups, users: users, opts: opts, m: &m, seen: map[string]bool{}, visited: map[string]bool{normDN(top.dn): true}}
	f.keepUsers, f.flatten = opts.Kinds()
	if s.cfg.InChain && f.flatten && f.keepUsers {
		err = f.inChain(ctx, top)
	} else {
		err = f.walk(ctx, top, []*group{top})
	}
	if err != nil {
		return m, fmt.Errorf("ldap: read members of %s: %w", g.Email, err)
	}
	sort.Slice(m.Members, func(i, j int) bool { return m.Members[i].ID < m.Members[j].ID })
	return m, nil
}

type flattener struct {
	s         *Source
	groups    *groupIndex
	users     *userIndex
	opts      model.MemberOptions
	m         *model.Membership
	keepUsers bool
	flatten   bool
	seen      map[string]bool // user IDs added
	visited   map[string]bool // group DNs walked
}

func (f *flattener) problem(incomplete bool, format string, args ...any) {
	f.m.Problems = append(f.m.Problems, fmt.Sprintf(format, args...))
	if incomplete {
		f.m.Incomplete = true
	}
}

// walk adds one group's users and recurses into nested groups, depth
// first, so that a group already on the path is a cycle.
func (f *flattener) walk(ctx context.Context, g *group, path []*group) error {
	dns, err := f.s.members(ctx, g)
	f.m.Calls++
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.problem(true, "group %s: member values stopped after %d: %s", g.info.Email, len(dns), oneLine(err))
	}
	direct := len(path) == 1
	for _, uid := range g.uids {
		u, ok := f.users.byUID[strings.ToLower(uid)]
		if !ok {
			f.problem(true, "group %s: memberUid %q matches no user in user_filter; unresolved", g.info.Email, uid)
			continue
		}
		if !direct || f.keepUsers {
			f.add(g, u)
		}
	}
	for _, dn := range dns {
		key := normDN(dn)
		if u, ok := f.users.byDN[key]; ok {
			if !direct || f.keepUsers {
				f.add(g, u)
			}
			continue
		}
		sub, ok := f.groups.byDN[key]
		if !ok {
			f.m.Calls++
			e, err := f.s.lookupDN(ctx, dn)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
				f.problem(true, "group %s: member %s does not exist; unresolved", g.info.Email, dn)
				continue
			case ldap.IsErrorWithCode(err, ldap.LDAPResultReferral):
				f.problem(true, "group %s: member %s is behind a referral groupsync does not follow (%s); unresolved", g.info.Email, dn, oneLine(err))
				continue
			case err != nil:
				f.problem(true, "group %s: member %s could not be read: %s", g.info.Email, dn, oneLine(err))
				continue
			case !isGroup(e):
				f.problem(false, "group %s: member %s is not a user that user_filter matches; skipped", g.info.Email, dn)
				continue
			}
			sub = f.s.parseGroup(e)
			if sub.info.ID == "" {
				f.problem(true, "group %s: nested group %s has no %s; unresolved", g.info.Email, dn, strings.Join(f.s.cfg.IDAttrs, "|"))
				continue
			}
		}
		if !f.flatten {
			continue
		}
		if i := onPath(path, key); i >= 0 {
			cycle := make([]string, 0, len(path)-i+1)
			for _, p := range path[i:] {
				cycle = append(cycle, p.info.Email)
			}
			f.m.Cycles = append(f.m.Cycles, append(cycle, sub.info.Email))
			continue
		}
		if f.visited[key] {
			continue
		}
		f.visited[key] = true
		if err := f.walk(ctx, sub, append(path[:len(path):len(path)], sub)); err != nil {
			return err
		}
	}
	return nil
}

func onPath(path []*group, key string) int {
	for i, p := range path {
		if normDN(p.dn) == key {
			return i
		}
	}
	return -1
}

// add adds one resolved user unless it is disabled and unwanted.
func (f *flattener) add(g *group, u model.User) {
	if u.ID == "" {
		f.problem(true, "group %s: a member has no %s; unresolved", g.info.Email, strings.Join(f.s.cfg.IDAttrs, "|"))
		return
	}
	if u.Suspended && !f.opts.IncludeSuspended {
		return
	}
	if f.seen[u.ID] {
		return
	}
	f.seen[u.ID] = true
	f.m.Members = append(f.m.Members, model.Member{ID: u.ID, Email: u.Email})
}

// inChainRule is Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: the server
// walks nested groups itself.
const inChainRule = "1.2.840.113556.1.4.1941"

// inChain reads the users that are members of g at any depth with one
// paged search. A failed page keeps what was read and marks the group
// incomplete.
func (f *flattener) inChain(ctx context.Context, g *group) error {
	filter := fmt.Sprintf("(&%s(memberOf:%s:=%s))", f.s.cfg.UserFilter, inChainRule, ldap.EscapeFilter(g.dn))
	c, release, err := f.s.conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	defer release()
	var dns []string
	p, err := f.s.search(ctx, c, f.s.cfg.BaseDN, f.s.scope, filter, []string{"1.1"}, func(e *ldap.Entry) { dns = append(dns, e.DN) })
	f.m.Calls += p.pages
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.problem(true, "group %s: in-chain member search stopped after %d page(s): %s", g.info.Email, p.pages, oneLine(err))
	}
	if len(p.referrals) > 0 {
		f.problem(true, "group %s: in-chain member search was referred to %s, which groupsync does not follow", g.info.Email, strings.Join(p.referrals, " "))
	}
	for _, dn := range dns {
		u, ok := f.users.byDN[normDN(dn)]
		if !ok {
			f.problem(true, "group %s: in-chain member %s is not in the user sweep; unresolved", g.info.Email, dn)
			continue
		}
		f.add(g, u)
	}
	return nil
}

// oneLine shortens an error to its first line for Problems.
func oneLine(err error) string {
	s := err.Error()
	var le *ldap.Error
	if errors.As(err, &le) {
		s = strings.Replace(s, le.Error(), ldapReason(le), 1)
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
