package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/groupsync/groupsync/internal/model"
)

// ErrGroupNotFound is wrapped by ReadMembers when the group does not exist.
// A group can return 404 for a short while after it is created, so a
// caller should read again later before treating it as deleted.
var ErrGroupNotFound = errors.New("group not found")

// Page sizes: the API's maxima.
const (
	groupsPage  = 200
	membersPage = 200
	usersPage   = 500
)

// Partial-response masks. nextPageToken must stay in every one, or a
// listing silently stops after its first page; kind proves the body is a
// listing, so that an empty or foreign 200 cannot pass for an empty group.
const (
	groupsFields  = "kind,nextPageToken,groups(id,email,name,description)"
	membersFields = "kind,nextPageToken,members(id,email,role,type,status)"
	usersFields   = "kind,nextPageToken,users(id,primaryEmail,name(givenName,familyName,fullName),suspended,archived)"
)

// ListGroups lists every group in scope (the domain if one is configured,
// else the customer).
func (s *Source) ListGroups(ctx context.Context) ([]model.GroupInfo, error) {
	call := s.svc.Groups.List().MaxResults(groupsPage).Fields(groupsFields)
	if s.cfg.Domain != "" {
		call = call.Domain(s.cfg.Domain)
	} else {
		call = call.Customer(s.cfg.Customer)
	}
	var out []model.GroupInfo
	var guard pageGuard
	err := call.Pages(ctx, func(p *admin.Groups) error {
		if p.Kind != "admin#directory#groups" {
			return fmt.Errorf("groups.list page has kind %q, want admin#directory#groups", p.Kind)
		}
		if err := guard.next(p.NextPageToken); err != nil {
			return fmt.Errorf("groups.list: %w", err)
		}
		for _, g := range p.Groups {
			out = append(out, model.GroupInfo{ID: g.Id, Email: g.Email, Name: g.Name, Description: g.Description})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("workspace: list groups: %w", err)
	}
	return out, nil
}

// ListUsers returns every user of the customer, suspended ones included,
// sorted by ID. It shares ReadMembers' single sweep of users.list.
func (s *Source) ListUsers(ctx context.Context) ([]model.User, error) {
	idx, err := s.userIndex(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.User, 0, len(idx))
	for _, u := range idx {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// UserIndex returns every user of the customer by ID, from the same
// single sweep as ListUsers, without copying it: callers must not modify
// the map.
func (s *Source) UserIndex(ctx context.Context) (map[string]model.User, error) {
	return s.userIndex(ctx)
}

// userSweep is one paged read of users.list, shared by concurrent callers.
type userSweep struct {
	done    chan struct{}
	fetched time.Time
	users   map[string]model.User
	err     error
}

func (s *Source) userIndex(ctx context.Context) (map[string]model.User, error) {
	for {
		s.mu.Lock()
		sw := s.users
		if sw == nil || s.expired(sw.done, &sw.fetched) {
			sw = &userSweep{done: make(chan struct{})}
			s.users = sw
			s.mu.Unlock()
			sw.users, sw.err = s.sweepUsers(ctx)
			sw.fetched = time.Now()
			if sw.err != nil {
				// Failed sweeps are not kept: the next caller tries again.
				s.mu.Lock()
				if s.users == sw {
					s.users = nil
				}
				s.mu.Unlock()
			}
			close(sw.done)
			return sw.users, sw.err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sw.done:
		}
		if sw.err == nil {
			return sw.users, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Another caller's sweep failed (perhaps its context ended); try
		// once more ourselves rather than inherit its error.
		if !errors.Is(sw.err, context.Canceled) && !errors.Is(sw.err, context.DeadlineExceeded) {
			return nil, sw.err
		}
	}
}

// expired reports whether a finished cache entry is too old. Called with
// s.mu held.
func (s *Source) expired(done chan struct{}, fetched *time.Time) bool {
	select {
	case <-done:
		// fetched is written before done is closed.
		return time.Since(*fetched) > s.cfg.CacheTTL
	default:
		return false
	}
}

func (s *Source) sweepUsers(ctx context.Context) (map[string]model.User, error) {
	users := map[string]model.User{}
	call := s.svc.Users.List().Customer(s.cfg.Customer).MaxResults(usersPage).Fields(usersFields)
	if s.cfg.ReadProfile {
		call = s.profileCall(call)
	}
	var guard pageGuard
	err := call.Pages(ctx, func(p *admin.Users) error {
		if p.Kind != "admin#directory#users" {
			return fmt.Errorf("users.list page has kind %q, want admin#directory#users", p.Kind)
		}
		if err := guard.next(p.NextPageToken); err != nil {
			return fmt.Errorf("users.list: %w", err)
		}
		for _, u := range p.Users {
			mu := model.User{ID: u.Id, Email: u.PrimaryEmail, Suspended: u.Suspended || u.Archived}
			if u.Name != nil {
				mu.GivenName, mu.FamilyName, mu.DisplayName = u.Name.GivenName, u.Name.FamilyName, u.Name.FullName
			}
			if s.cfg.ReadProfile {
				mu.Profile = profile(u)
			}
			users[u.Id] = mu
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("workspace: list users: %w", err)
	}
	return users, nil
}

// listing is one group's direct members as read, possibly partial.
type listing struct {
	done    chan struct{}
	fetched time.Time
	members []listedMember
	// err is why the listing stopped early; members holds the pages read
	// before it.
	err error
}

// listing returns a group's direct members, reading them once per run
// however many parents the group has and however many workers ask.
func (s *Source) listing(ctx context.Context, groupID string) *listing {
	for {
		s.mu.Lock()
		l := s.listings[groupID]
		if l == nil || s.expired(l.done, &l.fetched) {
			l = &listing{done: make(chan struct{})}
			s.listings[groupID] = l
			s.mu.Unlock()
			l.members, l.err = s.readListing(ctx, groupID)
			l.fetched = time.Now()
			if ctx.Err() != nil {
				s.mu.Lock()
				if s.listings[groupID] == l {
					delete(s.listings, groupID)
				}
				s.mu.Unlock()
			}
			close(l.done)
			return l
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return &listing{err: ctx.Err()}
		case <-l.done:
		}
		canceled := errors.Is(l.err, context.Canceled) || errors.Is(l.err, context.DeadlineExceeded)
		if !canceled || ctx.Err() != nil {
			return l
		}
		// The reader's context ended, not ours: read it ourselves.
	}
}

// listedMember is what the flattener needs of a member. A run keeps every
// group's listing until its reads are done (a nested group is read once
// for all its parents), so it keeps these instead of the API's structs,
// with the few distinct types and statuses shared.
type listedMember struct {
	id, email, typ, status string
}

func listed(m *admin.Member) listedMember {
	return listedMember{id: m.Id, email: m.Email, typ: shared(m.Type, "USER", "GROUP", "CUSTOMER"), status: shared(m.Status, "ACTIVE", "SUSPENDED", "ARCHIVED")}
}

// shared returns the constant equal to s, so that a million members do
// not hold a million copies of "USER" and "ACTIVE"; s when none is.
func shared(s string, consts ...string) string {
	for _, c := range consts {
		if s == c {
			return c
		}
	}
	return s
}

func (s *Source) readListing(ctx context.Context, groupID string) ([]listedMember, error) {
	var out []listedMember
	var guard pageGuard
	err := s.svc.Members.List(groupID).MaxResults(membersPage).Fields(membersFields).
		Pages(ctx, func(p *admin.Members) error {
			if p.Kind != "admin#directory#members" {
				return fmt.Errorf("members.list page has kind %q, want admin#directory#members", p.Kind)
			}
			if err := guard.next(p.NextPageToken); err != nil {
				return fmt.Errorf("members.list: %w", err)
			}
			for _, m := range p.Members {
				out = append(out, listed(m))
			}
			return nil
		})
	return out, err
}

// ReadMembers reads g's members, flattened to users per opts. A page or
// nested group that cannot be read makes the result Incomplete (with the
// members that could be read); an error means g itself could not be read
// at all: refused, not found, or the context ended.
func (s *Source) ReadMembers(ctx context.Context, g model.GroupInfo, opts model.MemberOptions) (model.Membership, error) {
	var calls atomic.Int64
	ctx = withCounter(ctx, &calls)
	m := model.Membership{Group: g}
	top := s.listing(ctx, g.ID)
	if top.err != nil && (ctx.Err() != nil || !transient(top.err)) {
		var ge *googleapi.Error
		if errors.As(top.err, &ge) && ge.Code == http.StatusNotFound {
			return m, fmt.Errorf("workspace: read members of %s: %w: %w", g.Email, ErrGroupNotFound, top.err)
		}
		return m, fmt.Errorf("workspace: read members of %s: %w", g.Email, top.err)
	}
	users, err := s.userIndex(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return m, fmt.Errorf("workspace: read members of %s: %w", g.Email, err)
		}
		// Without users, suspension and current emails are unknown.
		m.Incomplete = true
		m.Problems = append(m.Problems, fmt.Sprintf("users could not be read, members are unresolved: %v", oneLine(err)))
	}
	f := &flattener{s: s, opts: opts, users: users, m: &m, seen: map[string]bool{}, visited: map[string]bool{g.ID: true}}
	f.keepUsers, f.flatten = opts.Kinds()
	if err := f.walk(ctx, top, []pathStep{{id: g.ID, email: g.Email}}); err != nil {
		return m, fmt.Errorf("workspace: read members of %s: %w", g.Email, err)
	}
	sort.Slice(m.Members, func(i, j int) bool { return m.Members[i].ID < m.Members[j].ID })
	m.Calls = int(calls.Load())
	return m, nil
}

type pathStep struct{ id, email string }

type flattener struct {
	s         *Source
	opts      model.MemberOptions
	users     map[string]model.User
	m         *model.Membership
	keepUsers bool
	flatten   bool
	seen      map[string]bool // user IDs added
	visited   map[string]bool // group IDs walked
}

func (f *flattener) problem(incomplete bool, format string, args ...any) {
	f.m.Problems = append(f.m.Problems, fmt.Sprintf(format, args...))
	if incomplete {
		f.m.Incomplete = true
	}
}

// walk adds the users of one listing and recurses into nested groups,
// depth first, so that a group already on the path is a cycle.
func (f *flattener) walk(ctx context.Context, l *listing, path []pathStep) error {
	here := path[len(path)-1]
	if l.err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.problem(true, "group %s: listing stopped after %d members: %s", here.email, len(l.members), oneLine(l.err))
	}
	direct := len(path) == 1
	for _, mem := range l.members {
		switch strings.ToUpper(mem.typ) {
		case "USER":
			if direct && !f.keepUsers {
				continue
			}
			f.user(here, mem)
		case "GROUP":
			if !f.flatten {
				continue
			}
			if i := onPath(path, mem.id); i >= 0 {
				cycle := make([]string, 0, len(path)-i+1)
				for _, p := range path[i:] {
					cycle = append(cycle, p.email)
				}
				f.m.Cycles = append(f.m.Cycles, append(cycle, mem.email))
				continue
			}
			if f.visited[mem.id] {
				continue
			}
			f.visited[mem.id] = true
			f.m.Nested = append(f.m.Nested, mem.id)
			if mem.email != "" {
				f.m.Nested = append(f.m.Nested, mem.email)
			}
			sub := f.s.listing(ctx, mem.id)
			if err := f.walk(ctx, sub, append(path[:len(path):len(path)], pathStep{id: mem.id, email: mem.email})); err != nil {
				return err
			}
		case "CUSTOMER":
			f.problem(false, "group %s: CUSTOMER member %s (everyone in the organisation) not expanded", here.email, mem.id)
		default:
			f.problem(false, "group %s: member %s of type %q skipped", here.email, mem.email, mem.typ)
		}
	}
	return nil
}

func onPath(path []pathStep, id string) int {
	for i, p := range path {
		if p.id == id {
			return i
		}
	}
	return -1
}

// user adds one USER member, resolved against the user sweep. A member
// without ID or status is unresolved: it is not added, and the group is
// marked incomplete so that nobody is removed on its account.
func (f *flattener) user(here pathStep, mem listedMember) {
	if mem.id == "" {
		f.problem(true, "group %s: member %s has no ID; unresolved", here.email, mem.email)
		return
	}
	suspended := false
	switch mem.status {
	case "ACTIVE":
	case "SUSPENDED", "ARCHIVED":
		suspended = true
	case "":
		f.problem(true, "group %s: member %s (%s) has no status; unresolved", here.email, mem.email, mem.id)
		return
	default:
		f.problem(true, "group %s: member %s (%s) has unknown status %q; unresolved", here.email, mem.email, mem.id, mem.status)
		return
	}
	email := mem.email
	if u, ok := f.users[mem.id]; ok {
		email = u.Email
		suspended = suspended || u.Suspended
	}
	if suspended && !f.opts.IncludeSuspended {
		return
	}
	if f.seen[mem.id] {
		return
	}
	f.seen[mem.id] = true
	f.m.Members = append(f.m.Members, model.Member{ID: mem.id, Email: email})
}

// oneLine shortens an API error to its first line for Problems.
func oneLine(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason := ""
		if len(ge.Errors) > 0 {
			reason = " " + ge.Errors[0].Reason
		}
		return fmt.Sprintf("HTTP %d%s: %s", ge.Code, reason, ge.Message)
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// maxPages bounds one listing: 100,000 pages of 200 is far beyond any
// directory, and a server that never stops paging must not hold a read.
const maxPages = 100000

// pageGuard stops a listing whose server hands out a page token it already
// gave, which would page forever.
type pageGuard struct {
	seen  map[string]bool
	pages int
}

func (g *pageGuard) next(token string) error {
	g.pages++
	if g.pages > maxPages {
		return fmt.Errorf("more than %d pages", maxPages)
	}
	if token == "" {
		return nil
	}
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	if g.seen[token] {
		return fmt.Errorf("page token %q repeated", token)
	}
	g.seen[token] = true
	return nil
}
