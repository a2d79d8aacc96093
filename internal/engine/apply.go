package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// applier writes one rule's user changes to its target and records them.
// Its maps are shared by the worker pool and guarded by mu.
type applier struct {
	e     *Engine
	rule  config.RunRule
	src   Source
	tgt   Target
	jobID string

	mu       sync.Mutex
	users    map[string]model.Owned // source user ID → record
	userErrs map[string]string      // source user ID → why it has no target user
	counts   model.Counts           // user-level changes
	errs     []string               // user-level errors
	notes    []string               // what the job should tell, not errors
	changes  []model.UserChange     // the audit record of what was done
}

// newApplier returns an applier that starts from the rule's ownership
// records as stored now, so a redelivered step sees what an earlier
// delivery created.
func (e *Engine) newApplier(ctx context.Context, r config.RunRule, jobID string) (*applier, error) {
	src, tgt, err := e.connectors(r)
	if err != nil {
		return nil, err
	}
	owned, err := e.store.OwnedAll(ctx, r.Name, model.KindUser)
	if err != nil {
		return nil, retry(fmt.Errorf("rule %s: read owned users: %w", r.Name, err))
	}
	users := make(map[string]model.Owned, len(owned))
	for _, o := range owned {
		users[o.SourceID] = o
	}
	return &applier{e: e, rule: r, src: src, tgt: tgt, jobID: jobID, users: users, userErrs: map[string]string{}}, nil
}

func (a *applier) fail(sourceID, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if sourceID != "" {
		a.userErrs[sourceID] = msg
	}
	a.errs = append(a.errs, msg)
	a.counts.Errors++
}

// createUsers creates the users the plan needs that have no ownership
// record yet (a redelivered step skips the ones it already made). Each
// worker takes a chunk of users, creates them (in a few requests where
// the target batches, as a SCIM server with Bulk does; one request each
// otherwise) and records the chunk in one store write.
func (a *applier) createUsers(ctx context.Context, users []model.User) {
	// Indexes, not copies: a first sync creates every user of the rule.
	var todo []int
	for i, u := range users {
		if _, ok := a.users[u.ID]; !ok {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		// Not even a look at the target's capabilities: an unchanged run
		// sends it nothing.
		return
	}
	expectCreates(a.tgt, model.KindUser, len(todo))
	pol := a.rule.Policy
	req := func(u model.User) target.UserCreate {
		u.PasswordHash = a.passwordHash(ctx, u.ID)
		return target.UserCreate{User: u, Opts: target.CreateOptions{Active: !pol.CreateAsDisabled && !u.Suspended, Adopt: pol.AdoptExisting}}
	}
	bc, batches := a.tgt.(batchCreator)
	batches = batches && bc.BatchesCreates(ctx)
	workers, size := a.e.opts.Workers, singleChunk
	if batches {
		workers, size = min(workers, batchWorkers), createChunk
	}
	chunks := slices.Collect(slices.Chunk(todo, min(size, max(1, (len(todo)+workers-1)/workers))))
	a.e.poolOf(workers, len(chunks), func(i int) {
		reqs := make([]target.UserCreate, len(chunks[i]))
		for k, u := range chunks[i] {
			reqs[k] = req(users[u])
		}
		var results []target.CreateResult
		if batches {
			results = bc.CreateUsers(ctx, reqs)
		} else {
			results = make([]target.CreateResult, len(reqs))
			for k, r := range reqs {
				c, err := a.tgt.CreateUser(ctx, r.User, r.Opts)
				results[k] = target.CreateResult{Created: c, Err: err}
			}
		}
		a.createdBatch(ctx, reqs, results)
	})
}

// batchCreator is a target that can create many users in few requests.
// Each result means what CreateUser's would for that user. BatchesCreates
// says whether it will (a SCIM server that advertises Bulk).
type batchCreator interface {
	BatchesCreates(ctx context.Context) bool
	CreateUsers(ctx context.Context, users []target.UserCreate) []target.CreateResult
}

// createChunk is the most users one worker hands a batchCreator at once:
// a few Bulk requests' worth, so that the pool keeps every worker busy.
// batchWorkers bounds the batches in flight: each holds hundreds of users'
// requests and answers, and a few at a time keep a server busy.
//
// singleChunk is the most users a worker creates one request each before
// it records them in one store write. A commit per user would cost a
// first sync of 10,000 users 10,000 disk syncs; a crash between a create
// and its record loses at most workers × singleChunk records, and the
// next run takes those users over by the source ID they carry.
const (
	createChunk  = 500
	batchWorkers = 4
	singleChunk  = 50
)

// created records the outcome of one user's create: its ownership record,
// counts and audit entry, or the error.
func (a *applier) created(ctx context.Context, r target.UserCreate, c target.Created, err error) {
	if err != nil {
		a.createFailed(r.User, err)
		return
	}
	o := a.ownedRecord(r, c)
	if err := a.e.store.PutOwned(ctx, o); err != nil {
		a.fail(r.User.ID, fmt.Sprintf("record user %s: %v", r.User.Email, err))
		return
	}
	a.recorded(r.User, c, o)
}

// ownedBatcher is a store that writes many ownership records in one
// transaction.
type ownedBatcher interface {
	PutOwnedBatch(ctx context.Context, os []model.Owned) error
}

// createdBatch records the outcomes of a batch's creates, the ownership
// records in one store write when the store takes batches.
func (a *applier) createdBatch(ctx context.Context, reqs []target.UserCreate, results []target.CreateResult) {
	b, ok := a.e.store.(ownedBatcher)
	if !ok {
		for k, res := range results {
			a.created(ctx, reqs[k], res.Created, res.Err)
		}
		return
	}
	var (
		recs []model.Owned
		made []int
	)
	for k, res := range results {
		if res.Err != nil {
			a.createFailed(reqs[k].User, res.Err)
			continue
		}
		recs = append(recs, a.ownedRecord(reqs[k], res.Created))
		made = append(made, k)
	}
	if err := b.PutOwnedBatch(ctx, recs); err != nil {
		for _, k := range made {
			a.fail(reqs[k].User.ID, fmt.Sprintf("record user %s: %v", reqs[k].User.Email, err))
		}
		return
	}
	for j, k := range made {
		a.recorded(reqs[k].User, results[k].Created, recs[j])
	}
}

func (a *applier) createFailed(u model.User, err error) {
	if errors.Is(err, target.ErrConflict) {
		a.fail(u.ID, fmt.Sprintf("user %s: exists in the target and is not owned by groupsync (set policy.adopt_existing to adopt it)", u.Email))
	} else {
		a.fail(u.ID, fmt.Sprintf("create user %s: %v", u.Email, err))
	}
}

// ownedRecord is the ownership record of a user the target created or
// groupsync adopted.
func (a *applier) ownedRecord(r target.UserCreate, c target.Created) model.Owned {
	u := r.User
	o := model.Owned{
		Rule: a.rule.Name, Kind: model.KindUser, SourceID: u.ID, TargetID: c.ID,
		Created: !c.Adopted, Email: u.Email, Name: u.DisplayName, Active: r.Opts.Active,
		Hash: model.UserHash(u), Updated: a.e.opts.Now(),
	}
	if c.Adopted {
		// The adopted object's attributes are unknown: plan an update.
		o.Hash = ""
	}
	return o
}

// recorded notes a user whose ownership record is stored: its target ID
// for the groups, counts, notes and audit entry.
func (a *applier) recorded(u model.User, c target.Created, o model.Owned) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.Note != "" {
		a.notes = append(a.notes, c.Note)
	}
	if c.TakenOver {
		a.notes = append(a.notes, fmt.Sprintf("user %s: taken over as groupsync's own (it carries the source ID; its ownership record was lost)", u.Email))
	}
	a.users[u.ID] = o
	if c.Adopted {
		a.counts.UsersUpdated++
		a.changes = append(a.changes, model.UserChange{Action: model.UserUpdated, SourceID: u.ID, Email: u.Email})
	} else {
		a.counts.UsersCreated++
		a.changes = append(a.changes, model.UserChange{Action: model.UserCreated, SourceID: u.ID, Email: u.Email})
	}
}

// passwordSource is a source that can hand over a user's password hash
// (LDAP's userPassword). Hashes never travel through the store or a
// message: the step that creates the user asks the source.
type passwordSource interface {
	PasswordHash(ctx context.Context, id string) (string, error)
}

// passwordHash is the source's hash of a user's password, "" when it has
// none or cannot say; the target then sets a random password.
func (a *applier) passwordHash(ctx context.Context, id string) string {
	ps, ok := a.src.(passwordSource)
	if !ok {
		return ""
	}
	h, err := ps.PasswordHash(ctx, id)
	if err != nil {
		a.e.log.WarnContext(ctx, "password hash unreadable; the target sets a random password", "user", id, "err", err)
		return ""
	}
	return h
}

// updateUsers rewrites users whose recorded hash differs from the update
// (a redelivered step skips the ones already written).
func (a *applier) updateUsers(ctx context.Context, ups []model.UserUpdate) {
	var todo []model.UserUpdate
	for _, up := range ups {
		if o, ok := a.users[up.User.ID]; !ok || o.Hash != model.UserHash(up.User) {
			todo = append(todo, up)
		}
	}
	a.e.pool(len(todo), func(i int) {
		up := todo[i]
		if err := a.tgt.UpdateUser(ctx, up.TargetID, up.User); err != nil {
			a.fail("", fmt.Sprintf("update user %s: %v", up.User.Email, err))
			return
		}
		a.mu.Lock()
		o := a.users[up.User.ID]
		a.mu.Unlock()
		o.Rule, o.Kind, o.SourceID, o.TargetID = a.rule.Name, model.KindUser, up.User.ID, up.TargetID
		o.Email, o.Name, o.Active = up.User.Email, up.User.DisplayName, !up.User.Suspended
		o.Hash, o.Updated = model.UserHash(up.User), a.e.opts.Now()
		if err := a.e.store.PutOwned(ctx, o); err != nil {
			a.fail("", fmt.Sprintf("record user %s: %v", up.User.Email, err))
			return
		}
		a.mu.Lock()
		a.users[up.User.ID] = o
		a.counts.UsersUpdated++
		a.changes = append(a.changes, model.UserChange{Action: model.UserUpdated, SourceID: up.User.ID, Email: up.User.Email, Was: up.Was})
		a.mu.Unlock()
	})
}

// record returns the user changes made so far in a stable order.
func (a *applier) record() []model.UserChange {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.changes)
	slices.SortFunc(out, func(x, y model.UserChange) int {
		return cmp.Or(cmp.Compare(x.Action, y.Action), cmp.Compare(x.Email, y.Email), cmp.Compare(x.SourceID, y.SourceID))
	})
	return out
}

// deprovision disables or deletes users; both are idempotent in the
// target, so a redelivered finish repeats them harmlessly. It returns the
// source IDs it changed.
func (a *applier) deprovision(ctx context.Context, refs []model.UserRef, del bool) []string {
	var done []string
	a.e.pool(len(refs), func(i int) {
		ref := refs[i]
		verb := "disable"
		var err error
		if del {
			verb = "delete"
			err = a.tgt.DeleteUser(ctx, ref.TargetID)
			if errors.Is(err, target.ErrNotFound) {
				err = nil
			}
		} else {
			err = a.tgt.DisableUser(ctx, ref.TargetID)
		}
		if err != nil {
			a.fail("", fmt.Sprintf("%s user %s: %v", verb, ref.Email, err))
			return
		}
		if del {
			err = a.e.store.DeleteOwned(ctx, a.rule.Name, model.KindUser, ref.SourceID)
		} else {
			a.mu.Lock()
			o, ok := a.users[ref.SourceID]
			a.mu.Unlock()
			if ok && o.Active {
				o.Active, o.Updated = false, a.e.opts.Now()
				err = a.e.store.PutOwned(ctx, o)
			}
		}
		if err != nil {
			a.fail("", fmt.Sprintf("record %s of user %s: %v", verb, ref.Email, err))
			return
		}
		a.mu.Lock()
		if del {
			a.counts.UsersDeleted++
			a.changes = append(a.changes, model.UserChange{Action: model.UserDeleted, SourceID: ref.SourceID, Email: ref.Email})
		} else {
			a.counts.UsersDisabled++
			a.changes = append(a.changes, model.UserChange{Action: model.UserDisabled, SourceID: ref.SourceID, Email: ref.Email})
		}
		done = append(done, ref.SourceID)
		a.mu.Unlock()
	})
	sort.Strings(done)
	return done
}

// groupApply resolves a group plan's users to target IDs for its apply
// step; IDs with no target user carry the reason.
func (a *applier) groupApply(gp model.GroupPlan) GroupApply {
	ga := GroupApply{Plan: gp}
	if n := len(gp.Add) + len(gp.Remove); n > 0 {
		ga.Targets = make([]string, 0, n)
	}
	for _, ids := range [][]string{gp.Add, gp.Remove} {
		for _, id := range ids {
			o, ok := a.users[id]
			ga.Targets = append(ga.Targets, o.TargetID)
			if ok && o.TargetID != "" {
				continue
			}
			why, ok := a.userErrs[id]
			if !ok {
				why = fmt.Sprintf("user %s has no target user", gp.Label(id))
			}
			if ga.Missing == nil {
				ga.Missing = map[string]string{}
			}
			ga.Missing[id] = why
		}
	}
	return ga
}

// pool runs fn(0..n-1) on at most Workers goroutines.
func (e *Engine) pool(n int, fn func(i int)) {
	e.poolOf(e.opts.Workers, n, fn)
}

// poolOf runs fn(0..n-1) on at most workers goroutines.
func (e *Engine) poolOf(workers, n int, fn func(i int)) {
	if n == 0 {
		return
	}
	w := min(workers, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
