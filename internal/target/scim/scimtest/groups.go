package scimtest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

var groupFilterAttrs = map[string]bool{"displayname": true, "externalid": true, "id": true, "members.value": true}

func (s *Server) renderGroup(g *group, members bool) map[string]any {
	m := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"id":          g.id,
		"displayName": g.displayName,
		"meta":        map[string]any{"resourceType": "Group", "version": s.etag(g.version)},
	}
	if g.externalID != "" {
		m["externalId"] = g.externalID
	}
	if members {
		list := g.members.list()
		ms := make([]map[string]any, len(list))
		for i, id := range list {
			ms[i] = map[string]any{"value": id, "type": "User"}
		}
		m["members"] = ms
	}
	return m
}

// validateGroup checks a group that is to be stored under id: a
// displayName no other group has (case-insensitive), and members that are
// all users.
func (s *Server) validateGroup(id, displayName string, members []string) *scimError {
	if displayName == "" {
		return errorf(http.StatusBadRequest, "invalidValue", "displayName is required")
	}
	for _, o := range s.groupNames[foldKey(displayName)] {
		if o != id {
			return errorf(http.StatusConflict, "uniqueness", "group %s already exists", displayName)
		}
	}
	for _, m := range members {
		if _, ok := s.users[m]; !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "member %q is not a user", m)
		}
	}
	return nil
}

// storeGroup stores g in place of old (nil for a new group) and updates
// the indexes.
func (s *Server) storeGroup(old, g *group) {
	if old != nil {
		s.unindexGroup(old)
	} else {
		s.groupOrder = nil
	}
	s.groups[g.id] = g
	s.indexGroup(g)
}

func (s *Server) indexGroup(g *group) {
	s.groupNames.add(foldKey(g.displayName), g.id)
	s.groupExtIDs.add(g.externalID, g.id)
}

func (s *Server) unindexGroup(g *group) {
	s.groupNames.remove(foldKey(g.displayName), g.id)
	s.groupExtIDs.remove(g.externalID, g.id)
}

func (s *Server) dropGroup(g *group) {
	s.unindexGroup(g)
	delete(s.groups, g.id)
	s.groupOrder = nil
}

// findGroups returns the IDs of the groups that match cs, sorted, as
// findUsers does; a filter on members.value alone checks every group's
// member set.
func (s *Server) findGroups(cs []clause) []string {
	if len(cs) == 0 {
		return s.sortedGroupIDs()
	}
	ids, indexed := s.indexedGroups(cs)
	if !indexed {
		ids = s.sortedGroupIDs()
	}
	var out []string
	for _, id := range ids {
		if groupMatches(s.groups[id], cs) {
			out = append(out, id)
		}
	}
	return out
}

// indexedGroups returns, sorted, the groups an index has for the first
// clause that one can answer: one on id, displayName or externalId with a
// value that is not empty; indexed is false when none can.
func (s *Server) indexedGroups(cs []clause) (ids []string, indexed bool) {
	for _, c := range cs {
		switch {
		case c.value == "":
		case c.attr == "id":
			if _, ok := s.groups[c.value]; ok {
				return []string{c.value}, true
			}
			return nil, true
		case c.attr == "displayname":
			return slices.Sorted(slices.Values(s.groupNames[foldKey(c.value)])), true
		case c.attr == "externalid":
			return slices.Sorted(slices.Values(s.groupExtIDs[c.value])), true
		}
	}
	return nil, false
}

func (s *Server) sortedGroupIDs() []string {
	if s.groupOrder == nil {
		s.groupOrder = slices.Sorted(maps.Keys(s.groups))
	}
	return s.groupOrder
}

// memberIDs reads a members value array.
func memberIDs(v any) ([]string, *scimError) {
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "invalidValue", "members must be an array")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, errorf(http.StatusBadRequest, "invalidValue", "member without value")
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Server) groups1(w http.ResponseWriter, r *http.Request) *scimError {
	switch r.Method {
	case http.MethodGet:
		var match []clause
		if f := r.URL.Query().Get("filter"); f != "" {
			var err *scimError
			if match, err = parseFilter(f, groupFilterAttrs); err != nil && !s.opts.EmptyUnsupportedFilter {
				return err
			}
			if err != nil || (s.opts.EmptyUnsupportedFilter && filtersMembers(match)) {
				start, _, _ := s.page(r.URL.Query())
				writeJSON(w, http.StatusOK, "", listResponse(0, start, nil))
				return nil
			}
		}
		start, count, err := s.page(r.URL.Query())
		if err != nil {
			return err
		}
		ids := s.findGroups(match)
		page := pageOf(ids, start, count)
		res := make([]any, len(page))
		for i, id := range page {
			res[i] = s.renderGroup(s.groups[id], false)
		}
		writeJSON(w, http.StatusOK, "", listResponse(len(ids), start, res))
		return nil
	case http.MethodPost:
		body, err := decodeBody(r)
		if err != nil {
			return err
		}
		g, err := s.groupFromBody("", body)
		if err != nil {
			return err
		}
		g.id = s.newID("g")
		g.version = 1
		s.storeGroup(nil, g)
		writeJSON(w, http.StatusCreated, s.etag(g.version), s.renderGroup(g, s.opts.MembersInGet))
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

// groupFromBody reads and checks the group a POST or PUT body describes,
// to be stored under id.
func (s *Server) groupFromBody(id string, body map[string]any) (*group, *scimError) {
	g := &group{id: id}
	g.displayName, _ = body["displayName"].(string)
	g.externalID, _ = body["externalId"].(string)
	var ids []string
	if v, ok := body["members"]; ok {
		var err *scimError
		if ids, err = memberIDs(v); err != nil {
			return nil, err
		}
	}
	g.members = newMemberSet(ids)
	if err := s.validateGroup(id, g.displayName, ids); err != nil {
		return nil, err
	}
	return g, nil
}

func groupMatches(g *group, cs []clause) bool {
	for _, c := range cs {
		switch c.attr {
		case "displayname":
			if !strings.EqualFold(g.displayName, c.value) {
				return false
			}
		case "externalid":
			if g.externalID != c.value {
				return false
			}
		case "id":
			if g.id != c.value {
				return false
			}
		case "members.value":
			if !g.members.has(c.value) {
				return false
			}
		}
	}
	return true
}

func (s *Server) group(w http.ResponseWriter, r *http.Request, id string) *scimError {
	g, ok := s.groups[id]
	if !ok {
		return errorf(http.StatusNotFound, "", "group %s not found", id)
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.etag(g.version), s.renderGroup(g, (s.opts.MembersInGet || s.opts.NoPatch) && !s.opts.HideMembers))
		return nil
	case http.MethodDelete:
		s.dropGroup(g)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPut:
		if !s.opts.NoPatch {
			return errorf(http.StatusNotImplemented, "", "PUT is not supported for groups; use PATCH")
		}
		if err := s.checkIfMatch(r, g.version); err != nil {
			return err
		}
		body, err := decodeBody(r)
		if err != nil {
			return err
		}
		n, err := s.groupFromBody(id, body)
		if err != nil {
			return err
		}
		n.version = g.version + 1
		s.storeGroup(g, n)
		writeJSON(w, http.StatusOK, s.etag(n.version), s.renderGroup(n, true))
		return nil
	case http.MethodPatch:
		if s.opts.NoPatch {
			return errorf(http.StatusNotImplemented, "", "PATCH is not supported")
		}
		s.patches[id]++
		if s.opts.GroupPatchStatus != 0 {
			return errorf(s.opts.GroupPatchStatus, "", "injected group PATCH failure")
		}
		if err := s.checkIfMatch(r, g.version); err != nil {
			return err
		}
		ops, err := decodePatch(r)
		if err != nil {
			return err
		}
		p, err := s.patchGroup(g, ops)
		if err != nil {
			return err
		}
		s.applyGroupPatch(g, p)
		// AWS answers a group PATCH with 204 and no body.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

// groupPatch is what a group PATCH changes, worked out without touching
// the group so that a PATCH that fails changes nothing, and without
// copying its members, so that a PATCH costs what it changes.
type groupPatch struct {
	displayName string
	externalID  string
	// edits are the member changes that take effect, in order.
	edits []memberEdit
}

type memberEdit struct {
	id  string
	add bool
}

// patchGroup works out the effect of ops on g, all or nothing.
func (s *Server) patchGroup(g *group, ops []op) (*groupPatch, *scimError) {
	p := &groupPatch{displayName: g.displayName, externalID: g.externalID}
	// changed is the membership of the IDs that earlier operations of
	// this PATCH added or removed.
	changed := map[string]bool{}
	isMember := func(id string) bool {
		if in, ok := changed[id]; ok {
			return in
		}
		return g.members.has(id)
	}
	set := func(id string, add bool) {
		changed[id] = add
		p.edits = append(p.edits, memberEdit{id: id, add: add})
	}
	changes := 0
	remove := func(id string) *scimError {
		if !isMember(id) {
			if s.opts.RejectMissingRemove {
				return errorf(http.StatusBadRequest, "noTarget", "%s is not a member", id)
			}
			return nil
		}
		set(id, false)
		return nil
	}
	for _, o := range ops {
		lp := strings.ToLower(o.Path)
		switch {
		case o.Op == "add" && lp == "members":
			ids, err := memberIDs(o.Value)
			if err != nil {
				return nil, err
			}
			changes += len(ids)
			for _, id := range ids {
				if _, ok := s.users[id]; !ok {
					return nil, errorf(http.StatusBadRequest, "invalidValue", "member %q is not a user", id)
				}
				if isMember(id) {
					if s.opts.RejectDuplicateAdd {
						return nil, errorf(http.StatusConflict, "uniqueness", "%s is already a member", id)
					}
					continue
				}
				set(id, true)
			}
		case o.Op == "remove" && strings.HasPrefix(lp, "members[value eq "):
			if s.opts.RejectFilteredRemove {
				return nil, errorf(http.StatusBadRequest, "invalidPath", "filtered paths are not supported")
			}
			id, rest, err := unquote(strings.TrimPrefix(o.Path, o.Path[:len("members[value eq ")]))
			if err != nil || rest != "]" {
				return nil, errorf(http.StatusBadRequest, "invalidPath", "bad path %q", o.Path)
			}
			changes++
			if err := remove(id); err != nil {
				return nil, err
			}
		case o.Op == "remove" && lp == "members":
			if o.Value == nil {
				return nil, errorf(http.StatusBadRequest, "invalidValue", "removing all members is not supported")
			}
			ids, err := memberIDs(o.Value)
			if err != nil {
				return nil, err
			}
			changes += len(ids)
			for _, id := range ids {
				if err := remove(id); err != nil {
					return nil, err
				}
			}
		case o.Op == "replace" && lp == "members":
			return nil, errorf(http.StatusBadRequest, "invalidValue", "replacing members is not supported")
		case o.Op == "replace" && (lp == "displayname" || lp == "externalid"):
			v, ok := o.Value.(string)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", o.Path)
			}
			if lp == "displayname" {
				p.displayName = v
			} else {
				p.externalID = v
			}
		case o.Op == "replace" && lp == "":
			m, _ := o.Value.(map[string]any)
			for k, v := range m {
				sv, ok := v.(string)
				switch {
				case !ok:
					return nil, errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", k)
				case strings.EqualFold(k, "displayName"):
					p.displayName = sv
				case strings.EqualFold(k, "externalId"):
					p.externalID = sv
				default:
					return nil, errorf(http.StatusBadRequest, "invalidPath", "unsupported attribute %q", k)
				}
			}
		default:
			return nil, errorf(http.StatusBadRequest, "invalidPath", "unsupported operation %s %q", o.Op, o.Path)
		}
	}
	if changes > s.opts.MaxPatchMembers {
		return nil, errorf(http.StatusBadRequest, "tooMany", "%d member changes in one request; at most %d", changes, s.opts.MaxPatchMembers)
	}
	// Added members were checked as they came; the others are users
	// unless AddGroup stored one that is not.
	var members []string
	if s.dangling {
		m := g.members.clone()
		p.applyTo(&m)
		members = m.list()
	}
	if err := s.validateGroup(g.id, p.displayName, members); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *groupPatch) applyTo(m *memberSet) {
	for _, e := range p.edits {
		if e.add {
			m.add(e.id)
		} else {
			m.remove(e.id)
		}
	}
}

// applyGroupPatch stores what patchGroup worked out.
func (s *Server) applyGroupPatch(g *group, p *groupPatch) {
	s.unindexGroup(g)
	g.displayName, g.externalID = p.displayName, p.externalID
	s.indexGroup(g)
	p.applyTo(&g.members)
	g.version++
}
