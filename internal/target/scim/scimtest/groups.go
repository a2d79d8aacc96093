package scimtest

import (
	"net/http"
	"slices"
	"strings"
)

var groupFilterAttrs = map[string]bool{"displayname": true, "externalid": true, "id": true, "members.value": true}

func (s *Server) renderGroup(g *Group, members bool) map[string]any {
	m := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"meta":        map[string]any{"resourceType": "Group", "version": s.etag(g.version)},
	}
	if g.ExternalID != "" {
		m["externalId"] = g.ExternalID
	}
	if members {
		ms := make([]map[string]any, len(g.Members))
		for i, id := range g.Members {
			ms[i] = map[string]any{"value": id, "type": "User"}
		}
		m["members"] = ms
	}
	return m
}

func (s *Server) validateGroup(g *Group) *scimError {
	if g.DisplayName == "" {
		return errorf(http.StatusBadRequest, "invalidValue", "displayName is required")
	}
	for _, o := range s.groups {
		if o.ID != g.ID && strings.EqualFold(o.DisplayName, g.DisplayName) {
			return errorf(http.StatusConflict, "uniqueness", "group %s already exists", g.DisplayName)
		}
	}
	for _, m := range g.Members {
		if _, ok := s.users[m]; !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "member %q is not a user", m)
		}
	}
	return nil
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
				start, count, _ := s.page(r.URL.Query())
				writeJSON(w, http.StatusOK, "", listResponse(nil, start, count))
				return nil
			}
		}
		start, count, err := s.page(r.URL.Query())
		if err != nil {
			return err
		}
		var all []*Group
		for _, g := range s.groups {
			if groupMatches(g, match) {
				all = append(all, g)
			}
		}
		slices.SortFunc(all, func(a, b *Group) int { return strings.Compare(a.ID, b.ID) })
		res := make([]any, len(all))
		for i, g := range all {
			res[i] = s.renderGroup(g, false)
		}
		writeJSON(w, http.StatusOK, "", listResponse(res, start, count))
		return nil
	case http.MethodPost:
		body, err := decodeBody(r)
		if err != nil {
			return err
		}
		g := &Group{}
		g.DisplayName, _ = body["displayName"].(string)
		g.ExternalID, _ = body["externalId"].(string)
		if v, ok := body["members"]; ok {
			if g.Members, err = memberIDs(v); err != nil {
				return err
			}
		}
		if err := s.validateGroup(g); err != nil {
			return err
		}
		g.ID = s.newID("g")
		g.version = 1
		s.groups[g.ID] = g
		writeJSON(w, http.StatusCreated, s.etag(g.version), s.renderGroup(g, s.opts.MembersInGet))
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

func groupMatches(g *Group, cs []clause) bool {
	for _, c := range cs {
		switch c.attr {
		case "displayname":
			if !strings.EqualFold(g.DisplayName, c.value) {
				return false
			}
		case "externalid":
			if g.ExternalID != c.value {
				return false
			}
		case "id":
			if g.ID != c.value {
				return false
			}
		case "members.value":
			if !slices.Contains(g.Members, c.value) {
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
		delete(s.groups, id)
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
		n := &Group{ID: id}
		n.DisplayName, _ = body["displayName"].(string)
		n.ExternalID, _ = body["externalId"].(string)
		if v, ok := body["members"]; ok {
			if n.Members, err = memberIDs(v); err != nil {
				return err
			}
		}
		n.Members = dedupe(n.Members)
		if err := s.validateGroup(n); err != nil {
			return err
		}
		n.version = g.version + 1
		s.groups[id] = n
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
		n, err := s.patchGroup(g, ops)
		if err != nil {
			return err
		}
		n.version = g.version + 1
		s.groups[id] = n
		// AWS answers a group PATCH with 204 and no body.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// patchGroup applies ops to a copy of g, all or nothing.
func (s *Server) patchGroup(g *Group, ops []op) (*Group, *scimError) {
	n := *g
	n.Members = slices.Clone(g.Members)
	changes := 0
	remove := func(id string) *scimError {
		if !slices.Contains(n.Members, id) {
			if s.opts.RejectMissingRemove {
				return errorf(http.StatusBadRequest, "noTarget", "%s is not a member", id)
			}
			return nil
		}
		n.Members = slices.DeleteFunc(n.Members, func(m string) bool { return m == id })
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
				if slices.Contains(n.Members, id) {
					if s.opts.RejectDuplicateAdd {
						return nil, errorf(http.StatusConflict, "uniqueness", "%s is already a member", id)
					}
					continue
				}
				n.Members = append(n.Members, id)
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
				n.DisplayName = v
			} else {
				n.ExternalID = v
			}
		case o.Op == "replace" && lp == "":
			m, _ := o.Value.(map[string]any)
			for k, v := range m {
				sv, ok := v.(string)
				switch {
				case !ok:
					return nil, errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", k)
				case strings.EqualFold(k, "displayName"):
					n.DisplayName = sv
				case strings.EqualFold(k, "externalId"):
					n.ExternalID = sv
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
	if err := s.validateGroup(&n); err != nil {
		return nil, err
	}
	return &n, nil
}
