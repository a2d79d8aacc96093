package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// ModifyMembers adds and removes the target user IDs of a group's members
// with PATCH requests of at most BatchSize member changes each (removals and
// additions share requests, so a small change costs one request).
// Re-adding a member or removing a non-member is done, not an error. A
// request the server rejects is split to find the bad members; the others
// are still applied and the error names the bad ones. Writes to one group
// are serialised. Providers without PATCH get one GET and one PUT of the
// whole list.
func (t *Target) ModifyMembers(ctx context.Context, groupID string, add, remove []string) error {
	if groupID == "" {
		return errors.New("scim: modify members: empty group id")
	}
	add, remove = dedupe(add), dedupe(remove)
	for _, id := range slices.Concat(add, remove) {
		if id == "" {
			// An empty value can match every member on some servers.
			return fmt.Errorf("scim: modify members of %s: empty member id", groupID)
		}
	}
	for _, id := range add {
		if slices.Contains(remove, id) {
			return fmt.Errorf("scim: modify members of %s: %s is both added and removed", groupID, id)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	unlock, err := t.lockGroup(ctx, groupID)
	if err != nil {
		return err
	}
	defer unlock()
	caps, err := t.capabilities(ctx)
	if err != nil {
		return err
	}
	if !caps.patch {
		return t.putMembers(ctx, caps, groupID, add, remove)
	}
	changes := make([]change, 0, len(add)+len(remove))
	for _, id := range remove {
		changes = append(changes, change{id: id})
	}
	for _, id := range add {
		changes = append(changes, change{id: id, add: true})
	}
	var errs []error
	for batch := range slices.Chunk(changes, t.batch) {
		if err := t.applyChanges(ctx, caps, groupID, batch); err != nil {
			if statusOf(err) == http.StatusNotFound || ctx.Err() != nil {
				return fmt.Errorf("scim: modify members of group %s: %w", groupID, err)
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scim: modify members of group %s: %w", groupID, err)
	}
	return nil
}

// change is one member to add or remove.
type change struct {
	id  string
	add bool
}

func (c change) String() string {
	if c.add {
		return "add member " + c.id
	}
	return "remove member " + c.id
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func memberValues(ids []string) []member {
	m := make([]member, len(ids))
	for i, id := range ids {
		m[i] = member{Value: id}
	}
	return m
}

// changeOps builds the PatchOp operations for changes: removals as
// members[value eq "ID"] paths (or one members value array, byValue),
// additions as one members value array.
func changeOps(changes []change, byValue bool) []patchOp {
	var ops []patchOp
	var adds, removes []string
	for _, c := range changes {
		if c.add {
			adds = append(adds, c.id)
		} else {
			removes = append(removes, c.id)
		}
	}
	if byValue && len(removes) > 0 {
		ops = append(ops, patchOp{Op: "remove", Path: "members", Value: memberValues(removes)})
	} else {
		for _, id := range removes {
			ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quote(id) + "]"})
		}
	}
	if len(adds) > 0 {
		ops = append(ops, patchOp{Op: "add", Path: "members", Value: memberValues(adds)})
	}
	return ops
}

// splittable reports whether a failed request may have failed for one of
// its members: 400 (bad id, or not a member), 409 or 5xx (already a
// member, on some servers).
func splittable(err error) bool {
	s := statusOf(err)
	return s == http.StatusBadRequest || s == http.StatusConflict || s == http.StatusUnprocessableEntity || s >= 500
}

func (t *Target) applyChanges(ctx context.Context, caps capabilities, gid string, changes []change) error {
	t.mu.Lock()
	byValue := t.removeByValue
	t.mu.Unlock()
	path := "/Groups/" + gid
	err := t.patch(ctx, caps, path, changeOps(changes, byValue))
	if err == nil || !splittable(err) {
		return err
	}
	hasRemove := slices.ContainsFunc(changes, func(c change) bool { return !c.add })
	if hasRemove && !byValue && statusOf(err) == http.StatusBadRequest && scimTypeOf(err) != scimNoTarget {
		// The server may not take filtered paths (rule 6 of SCIM-NOTES):
		// try a members value array, and keep using it if it works.
		if verr := t.patch(ctx, caps, path, changeOps(changes, true)); verr == nil {
			t.logger.InfoContext(ctx, "server rejects members[value eq …] removals; using a members value array", "err", err.Error())
			t.mu.Lock()
			t.removeByValue = true
			t.mu.Unlock()
			return nil
		}
	}
	if len(changes) > 1 {
		h := len(changes) / 2
		return errors.Join(t.applyChanges(ctx, caps, gid, changes[:h]), t.applyChanges(ctx, caps, gid, changes[h:]))
	}
	c := changes[0]
	if !c.add && statusOf(err) == http.StatusBadRequest && scimTypeOf(err) == scimNoTarget {
		// The server itself says the member was not there.
		return nil
	}
	in, verr := t.isMember(ctx, gid, c.id)
	switch {
	case verr != nil:
		return fmt.Errorf("%s: %w (unconfirmed: %v)", c, err, verr)
	case in == c.add:
		return nil // already a member, or already not one
	}
	return fmt.Errorf("%s: %w", c, err)
}

// errUnconfirmed: no read could show whether a change took effect, so it
// must count as not applied.
var errUnconfirmed = errors.New("the server's answers do not show the membership")

// isMember reports whether uid is a member of gid, as far as a read
// positively shows it (rule 7 of SCIM-NOTES): a group GET that returns
// members settles it either way; a filter can only show presence, because
// servers that do not support members.value answer 200 with no results.
// When nothing settles it, the error wraps errUnconfirmed.
func (t *Target) isMember(ctx context.Context, gid, uid string) (bool, error) {
	ms, listed, err := t.groupMembers(ctx, gid)
	if err != nil {
		return false, err
	}
	if listed {
		return slices.Contains(ms, uid), nil
	}
	for i, f := range []string{
		eqFilter("id", gid) + " and " + eqFilter("members.value", uid),
		eqFilter("members.value", uid),
	} {
		found, err := t.findGroups(ctx, f)
		if statusOf(err) == http.StatusBadRequest {
			continue
		}
		if err != nil {
			return false, err
		}
		// A server that ignores the filter answers with other groups too;
		// its answer shows nothing.
		if slices.ContainsFunc(found, func(g group) bool { return g.ID == gid }) &&
			(i > 0 || !slices.ContainsFunc(found, func(g group) bool { return g.ID != gid })) {
			return true, nil
		}
	}
	return false, fmt.Errorf("is %s in group %s: %w", uid, gid, errUnconfirmed)
}

// groupMembers reads a group's members from a GET of the group. listed is
// false when the answer has no members attribute at all (AWS never sends
// one): that says nothing about the membership, not that it is empty.
func (t *Target) groupMembers(ctx context.Context, gid string) (ids []string, listed bool, err error) {
	resp, err := t.do(ctx, request{method: http.MethodGet, path: "/Groups/" + gid})
	if err != nil {
		return nil, false, err
	}
	var g struct {
		Members *[]member `json:"members"`
	}
	if err := json.Unmarshal(resp.body, &g); err != nil {
		return nil, false, fmt.Errorf("scim: decode group: %w", err)
	}
	if g.Members == nil {
		return nil, false, nil
	}
	for _, m := range *g.Members {
		ids = append(ids, m.Value)
	}
	return ids, true, nil
}

// putMembers changes membership on a provider without PATCH: it reads the
// group and PUTs it back with the new member list.
func (t *Target) putMembers(ctx context.Context, caps capabilities, gid string, add, remove []string) error {
	path := "/Groups/" + gid
	resp, err := t.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return fmt.Errorf("scim: read group %s: %w", gid, err)
	}
	var r map[string]any
	if err := json.Unmarshal(resp.body, &r); err != nil {
		return fmt.Errorf("scim: decode group %s: %w", gid, err)
	}
	var cur struct {
		Members *[]map[string]any `json:"members"`
	}
	if err := json.Unmarshal(resp.body, &cur); err != nil {
		return fmt.Errorf("scim: decode group %s: %w", gid, err)
	}
	if cur.Members == nil {
		// A PUT built from a list it did not read would drop every
		// member it was not told about, owned or not.
		return fmt.Errorf("scim: put members of group %s: the group's GET returns no members attribute, so its member list cannot be rewritten safely: %w", gid, errUnconfirmed)
	}
	drop := make(map[string]bool, len(remove))
	for _, id := range remove {
		drop[id] = true
	}
	have := make(map[string]bool, len(*cur.Members))
	members := make([]map[string]any, 0, len(*cur.Members)+len(add))
	changed := false
	for _, m := range *cur.Members {
		v, _ := m["value"].(string)
		if drop[v] {
			changed = true
			continue
		}
		have[v] = true
		members = append(members, m)
	}
	for _, id := range add {
		if !have[id] {
			have[id] = true
			changed = true
			members = append(members, map[string]any{"value": id})
		}
	}
	if !changed {
		return nil
	}
	r["members"] = members
	delete(r, "meta")
	if _, err := t.do(ctx, request{method: http.MethodPut, path: path, body: r, ifMatch: etagOf(caps, resp)}); err != nil {
		return fmt.Errorf("scim: put members of group %s: %w", gid, err)
	}
	return nil
}
