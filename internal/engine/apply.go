package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// applier applies one rule's plan to its target and records what it wrote.
// Its maps are shared by the worker pool and guarded by mu.
type applier struct {
	e     *Engine
	run   *ruleRun
	jobID string

	mu        sync.Mutex
	users     map[string]model.Owned // source user ID → record
	userErrs  map[string]string      // source user ID → why it has no target user
	counts    model.Counts           // user-level changes
	errs      []string               // user-level errors
	inDesired map[string]bool        // group IDs still in scope
}

func (e *Engine) newApplier(rr *ruleRun, jobID string) *applier {
	users := make(map[string]model.Owned, len(rr.actual.Users))
	for k, v := range rr.actual.Users {
		users[k] = v
	}
	in := make(map[string]bool, len(rr.desired.Groups))
	for _, m := range rr.desired.Groups {
		in[m.Group.ID] = true
	}
	return &applier{e: e, run: rr, jobID: jobID, users: users, userErrs: map[string]string{}, inDesired: in}
}

// apply runs the whole plan: users first (groups need their target IDs),
// then groups in the worker pool, then deprovisioning. It returns one result
// per group plan, and hands each to done (when set) as soon as it exists.
func (a *applier) apply(ctx context.Context, p model.Plan, done func(context.Context, model.GroupResult)) []model.GroupResult {
	a.createUsers(ctx, p.CreateUsers)
	a.updateUsers(ctx, p.UpdateUsers)
	results := make([]model.GroupResult, len(p.Groups))
	a.e.pool(len(p.Groups), func(i int) {
		results[i] = a.group(ctx, p.Groups[i])
		if done != nil {
			done(ctx, results[i])
		}
	})
	a.deprovision(ctx, p.DisableUsers, false)
	a.deprovision(ctx, p.DeleteUsers, true)
	return results
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

func (a *applier) createUsers(ctx context.Context, users []model.User) {
	pol := a.run.policy
	a.e.pool(len(users), func(i int) {
		u := users[i]
		active := !pol.CreateAsDisabled && !u.Suspended
		c, err := a.run.tgt.CreateUser(ctx, u, target.CreateOptions{Active: active, Adopt: pol.AdoptExisting})
		if err != nil {
			if errors.Is(err, target.ErrConflict) {
				if o, ok := a.awaitOwned(ctx, u.ID); ok {
					a.mu.Lock()
					a.users[u.ID] = o
					a.mu.Unlock()
					return
				}
				a.fail(u.ID, fmt.Sprintf("user %s: exists in the target and is not owned by groupsync (set policy.adopt_existing to adopt it)", u.Email))
			} else {
				a.fail(u.ID, fmt.Sprintf("create user %s: %v", u.Email, err))
			}
			return
		}
		o := model.Owned{
			Rule: a.run.rule.Name, Kind: model.KindUser, SourceID: u.ID, TargetID: c.ID,
			Created: !c.Adopted, Email: u.Email, Name: u.DisplayName, Active: active,
			Hash: model.UserHash(u), Updated: a.e.opts.Now(),
		}
		if c.Adopted {
			// The adopted object's attributes are unknown: plan an update.
			o.Hash = ""
		}
		if err := a.e.store.PutOwned(ctx, o); err != nil {
			a.fail(u.ID, fmt.Sprintf("record user %s: %v", u.Email, err))
			return
		}
		a.mu.Lock()
		a.users[u.ID] = o
		if c.Adopted {
			a.counts.UsersUpdated++
		} else {
			a.counts.UsersCreated++
		}
		a.mu.Unlock()
	})
}

// awaitOwned looks for an ownership record of a user that the target says
// exists. In the cloud, group tasks of one rule run at once and two groups
// may both plan to create a user they share: the one that loses the race
// sees a conflict while the winner is between its create and its
// ownership record, so the record is given a moment to appear.
func (a *applier) awaitOwned(ctx context.Context, sourceID string) (model.Owned, bool) {
	const attempts, pause = 20, 100 * time.Millisecond
	for i := range attempts {
		o, ok, err := a.e.store.Owned(ctx, a.run.rule.Name, model.KindUser, sourceID)
		if err == nil && ok {
			return o, true
		}
		if i == attempts-1 || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
	return model.Owned{}, false
}

func (a *applier) updateUsers(ctx context.Context, ups []model.UserUpdate) {
	a.e.pool(len(ups), func(i int) {
		up := ups[i]
		if err := a.run.tgt.UpdateUser(ctx, up.TargetID, up.User); err != nil {
			a.fail("", fmt.Sprintf("update user %s: %v", up.User.Email, err))
			return
		}
		a.mu.Lock()
		o := a.users[up.User.ID]
		a.mu.Unlock()
		o.Rule, o.Kind, o.SourceID, o.TargetID = a.run.rule.Name, model.KindUser, up.User.ID, up.TargetID
		o.Email, o.Name, o.Active = up.User.Email, up.User.DisplayName, !up.User.Suspended
		o.Hash, o.Updated = model.UserHash(up.User), a.e.opts.Now()
		if err := a.e.store.PutOwned(ctx, o); err != nil {
			a.fail("", fmt.Sprintf("record user %s: %v", up.User.Email, err))
			return
		}
		a.mu.Lock()
		a.users[up.User.ID] = o
		a.counts.UsersUpdated++
		a.mu.Unlock()
	})
}

func (a *applier) deprovision(ctx context.Context, refs []model.UserRef, del bool) {
	a.e.pool(len(refs), func(i int) {
		ref := refs[i]
		verb := "disable"
		var err error
		if del {
			verb = "delete"
			err = a.run.tgt.DeleteUser(ctx, ref.TargetID)
			if errors.Is(err, target.ErrNotFound) {
				err = nil
			}
		} else {
			err = a.run.tgt.DisableUser(ctx, ref.TargetID)
		}
		if err != nil {
			a.fail("", fmt.Sprintf("%s user %s: %v", verb, ref.Email, err))
			return
		}
		if del {
			err = a.e.store.DeleteOwned(ctx, a.run.rule.Name, model.KindUser, ref.SourceID)
		} else {
			a.mu.Lock()
			o := a.users[ref.SourceID]
			a.mu.Unlock()
			o.Active, o.Updated = false, a.e.opts.Now()
			err = a.e.store.PutOwned(ctx, o)
		}
		if err != nil {
			a.fail("", fmt.Sprintf("record %s of user %s: %v", verb, ref.Email, err))
			return
		}
		a.mu.Lock()
		if del {
			a.counts.UsersDeleted++
		} else {
			a.counts.UsersDisabled++
		}
		a.mu.Unlock()
	})
}

// group applies one group's plan. The snapshot is written only when the
// membership or hash changed, so an unchanged group costs nothing; after a
// failed membership change the snapshot is left alone and the same changes
// are planned again next run (they are idempotent).
func (a *applier) group(ctx context.Context, gp model.GroupPlan) model.GroupResult {
	res := a.e.newResult(a.jobID, a.run.rule.Name, gp)
	prev, hadSnap := a.run.actual.Snapshots[gp.GroupID]
	rule := a.run.rule.Name

	gid := gp.TargetID
	if gp.CreateGroup {
		info := model.GroupInfo{ID: gp.GroupID, Email: gp.Email, Name: gp.Name}
		c, err := a.run.tgt.CreateGroup(ctx, info, target.CreateOptions{Active: true, Adopt: a.run.policy.AdoptExisting})
		if err != nil {
			if errors.Is(err, target.ErrConflict) {
				return a.e.failResult(res, fmt.Sprintf("group %s exists in the target and is not owned by groupsync (set policy.adopt_existing to adopt it)", gp.Email))
			}
			return a.e.failResult(res, fmt.Sprintf("create group: %v", err))
		}
		gid = c.ID
		o := model.Owned{Rule: rule, Kind: model.KindGroup, SourceID: gp.GroupID, TargetID: c.ID, Created: !c.Adopted, Email: gp.Email, Name: gp.Name, Active: true, Updated: a.e.opts.Now()}
		if err := a.e.store.PutOwned(ctx, o); err != nil {
			return a.e.failResult(res, fmt.Sprintf("record group: %v", err))
		}
		res.Counts.GroupsCreated++
	} else if gp.UpdateGroup {
		info := model.GroupInfo{ID: gp.GroupID, Email: gp.Email, Name: gp.Name}
		if err := a.run.tgt.UpdateGroup(ctx, gid, info); err != nil {
			return a.e.failResult(res, fmt.Sprintf("update group: %v", err))
		}
		o := a.run.actual.Groups[gp.GroupID]
		o.Email, o.Name, o.Updated = gp.Email, gp.Name, a.e.opts.Now()
		if err := a.e.store.PutOwned(ctx, o); err != nil {
			return a.e.failResult(res, fmt.Sprintf("record group: %v", err))
		}
		res.Counts.GroupsUpdated++
	}

	add, skipped := a.targetIDs(gp.Add, &res)
	remove, _ := a.targetIDs(gp.Remove, &res)
	if len(add)+len(remove) > 0 {
		if err := a.run.tgt.ModifyMembers(ctx, gid, add, remove); err != nil {
			return a.e.failResult(res, fmt.Sprintf("change members: %v", err))
		}
	}
	res.Counts.MembersAdded = len(add)
	res.Counts.MembersRemove = len(remove)

	members := applyDiff(prev.MemberIDs, added(gp.Add, skipped), gp.Remove)
	hash := gp.Hash
	if gp.Incomplete || len(skipped) > 0 || len(res.Errors) > 0 {
		// Not at the desired state yet: plan the group again next run.
		hash = ""
	}
	switch {
	case !a.inDesired[gp.GroupID] && len(members) == 0:
		// The group left the scope and is now empty in the target.
		if hadSnap {
			if err := a.e.store.DeleteSnapshot(ctx, rule, gp.GroupID); err != nil {
				return a.e.failResult(res, fmt.Sprintf("drop snapshot: %v", err))
			}
		}
	case !hadSnap || hash != prev.Hash || !slices.Equal(members, prev.MemberIDs) || gp.Email != prev.Email || gp.Name != prev.Name:
		snap := model.Snapshot{Rule: rule, GroupID: gp.GroupID, Email: gp.Email, Name: gp.Name, MemberIDs: members, Hash: hash, Updated: a.e.opts.Now()}
		if err := a.e.store.PutSnapshot(ctx, snap); err != nil {
			return a.e.failResult(res, fmt.Sprintf("record snapshot: %v", err))
		}
	}
	res.Status = a.e.statusOf(res, gp)
	return res
}

// targetIDs maps source user IDs to target IDs. IDs without a target user
// (its creation failed or was skipped) are returned in skipped, and the
// reason goes into the result.
func (a *applier) targetIDs(ids []string, res *model.GroupResult) (out, skipped []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range ids {
		o, ok := a.users[id]
		if ok && o.TargetID != "" {
			out = append(out, o.TargetID)
			continue
		}
		skipped = append(skipped, id)
		if why, ok := a.userErrs[id]; ok {
			res.Errors = append(res.Errors, why)
		} else {
			res.Errors = append(res.Errors, fmt.Sprintf("user %s has no target user", id))
		}
	}
	return out, skipped
}

func added(ids, skipped []string) []string {
	if len(skipped) == 0 {
		return ids
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(skipped, id) {
			out = append(out, id)
		}
	}
	return out
}

// applyDiff returns sorted (base ∪ add) − remove.
func applyDiff(base, add, remove []string) []string {
	set := make(map[string]bool, len(base)+len(add))
	for _, id := range base {
		set[id] = true
	}
	for _, id := range add {
		set[id] = true
	}
	for _, id := range remove {
		delete(set, id)
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// pool runs fn(0..n-1) on at most Workers goroutines.
func (e *Engine) pool(n int, fn func(i int)) {
	if n == 0 {
		return
	}
	w := min(e.opts.Workers, n)
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
