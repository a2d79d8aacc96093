package scimtest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

var userFilterAttrs = map[string]bool{"username": true, "externalid": true, "id": true}

func (s *Server) renderUser(u *User) map[string]any {
	emails := make([]map[string]any, len(u.Emails))
	for i, e := range u.Emails {
		emails[i] = map[string]any{"value": e, "type": "work", "primary": i == 0}
	}
	m := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"id":          u.ID,
		"userName":    u.UserName,
		"displayName": u.DisplayName,
		"name":        map[string]any{"givenName": u.GivenName, "familyName": u.FamilyName},
		"emails":      emails,
		"active":      u.Active,
		"meta":        map[string]any{"resourceType": "User", "version": s.etag(u.version)},
	}
	if u.ExternalID != "" {
		m["externalId"] = u.ExternalID
	}
	if u.Title != "" {
		m["title"] = u.Title
	}
	if len(u.Enterprise) > 0 {
		m[SchemaEnterprise] = u.Enterprise
		m["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User", SchemaEnterprise}
	}
	return m
}

func decodeBody(r *http.Request) (map[string]any, *scimError) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "body is not a JSON object")
	}
	return m, nil
}

// setUserAttr applies one attribute, checking types as AWS does.
func setUserAttr(u *User, attr string, v any) *scimError {
	str := func() (string, *scimError) {
		s, ok := v.(string)
		if !ok {
			return "", errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", attr)
		}
		return s, nil
	}
	var err *scimError
	switch strings.ToLower(attr) {
	case "username":
		u.UserName, err = str()
	case "displayname":
		u.DisplayName, err = str()
	case "externalid":
		u.ExternalID, err = str()
	case "name.givenname":
		u.GivenName, err = str()
	case "name.familyname":
		u.FamilyName, err = str()
	case "name":
		n, ok := v.(map[string]any)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "name must be an object")
		}
		for k, nv := range n {
			if err := setUserAttr(u, "name."+k, nv); err != nil {
				return err
			}
		}
	case "active":
		b, ok := v.(bool)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "active must be a boolean, got %T", v)
		}
		u.Active = b
	case "emails":
		list, ok := v.([]any)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "emails must be an array")
		}
		if len(list) > 1 {
			return errorf(http.StatusBadRequest, "invalidValue", "at most one email is supported")
		}
		u.Emails = nil
		for _, e := range list {
			em, _ := e.(map[string]any)
			val, _ := em["value"].(string)
			primary, _ := em["primary"].(bool)
			if val == "" || !primary {
				return errorf(http.StatusBadRequest, "invalidValue", "the email must have a value and be primary")
			}
			u.Emails = append(u.Emails, val)
		}
	case "title":
		u.Title, err = str()
	case "schemas", "id", "meta", "name.formatted":
	default:
		if ok, err := setEnterprise(u, attr, v); ok {
			return err
		}
		return errorf(http.StatusBadRequest, "invalidPath", "unsupported attribute %q", attr)
	}
	return err
}

// validateUser enforces what AWS requires of a stored user and userName
// uniqueness (case-insensitive).
func (s *Server) validateUser(u *User) *scimError {
	if u.UserName == "" || u.DisplayName == "" || u.GivenName == "" || u.FamilyName == "" {
		return errorf(http.StatusBadRequest, "invalidValue", "userName, displayName, name.givenName and name.familyName are required")
	}
	for _, id := range s.userNames[foldKey(u.UserName)] {
		if id != u.ID {
			return errorf(http.StatusConflict, "uniqueness", "userName %s already exists", u.UserName)
		}
	}
	return nil
}

// storeUser stores u in place of old (nil for a new user) and updates the
// indexes.
func (s *Server) storeUser(old, u *User) {
	if old != nil {
		s.userNames.remove(foldKey(old.UserName), old.ID)
		s.userExtIDs.remove(old.ExternalID, old.ID)
	} else {
		s.userOrder = nil
	}
	s.users[u.ID] = u
	s.userNames.add(foldKey(u.UserName), u.ID)
	s.userExtIDs.add(u.ExternalID, u.ID)
}

// dropUser deletes u and its memberships.
func (s *Server) dropUser(u *User) {
	s.userNames.remove(foldKey(u.UserName), u.ID)
	s.userExtIDs.remove(u.ExternalID, u.ID)
	delete(s.users, u.ID)
	s.userOrder = nil
	for _, g := range s.groups {
		g.members.remove(u.ID)
	}
}

// findUsers returns the IDs of the users that match cs, sorted. It looks
// one clause up in an index and checks the others on what that finds;
// with no clauses it returns userOrder itself, not to be changed.
func (s *Server) findUsers(cs []clause) []string {
	if len(cs) == 0 {
		return s.sortedUserIDs()
	}
	ids, indexed := s.indexedUsers(cs)
	if !indexed {
		ids = s.sortedUserIDs()
	}
	var out []string
	for _, id := range ids {
		if userMatches(s.users[id], cs) {
			out = append(out, id)
		}
	}
	return out
}

// indexedUsers returns, sorted, the users an index has for the first
// clause that one can answer: any clause but one on an empty value (not
// indexed); indexed is false when none can.
func (s *Server) indexedUsers(cs []clause) (ids []string, indexed bool) {
	for _, c := range cs {
		switch {
		case c.value == "":
		case c.attr == "id":
			if _, ok := s.users[c.value]; ok {
				return []string{c.value}, true
			}
			return nil, true
		case c.attr == "username":
			return slices.Sorted(slices.Values(s.userNames[foldKey(c.value)])), true
		case c.attr == "externalid":
			return slices.Sorted(slices.Values(s.userExtIDs[c.value])), true
		}
	}
	return nil, false
}

func (s *Server) sortedUserIDs() []string {
	if s.userOrder == nil {
		s.userOrder = slices.Sorted(maps.Keys(s.users))
	}
	return s.userOrder
}

func (s *Server) users1(w http.ResponseWriter, r *http.Request) *scimError {
	switch r.Method {
	case http.MethodGet:
		var match []clause
		if f := r.URL.Query().Get("filter"); f != "" {
			var err *scimError
			if match, err = parseFilter(f, userFilterAttrs); err != nil {
				return err
			}
		}
		start, count, err := s.page(r.URL.Query())
		if err != nil {
			return err
		}
		ids := s.findUsers(match)
		page := pageOf(ids, start, count)
		res := make([]any, len(page))
		for i, id := range page {
			res[i] = s.renderUser(s.users[id])
		}
		writeJSON(w, http.StatusOK, "", listResponse(len(ids), start, res))
		return nil
	case http.MethodPost:
		body, err := decodeBody(r)
		if err != nil {
			return err
		}
		u, err := s.createUser(body)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, s.etag(u.version), s.renderUser(u))
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

// createUser stores the user a POST body describes, for POST /Users and
// the POST operations of a Bulk request alike.
func (s *Server) createUser(body map[string]any) (*User, *scimError) {
	u := &User{Active: true}
	for k, v := range body {
		if err := setUserAttr(u, k, v); err != nil {
			return nil, err
		}
	}
	if err := s.validateUser(u); err != nil {
		return nil, err
	}
	u.ID = s.newID("u")
	u.version = 1
	s.storeUser(nil, u)
	return u, nil
}

func userMatches(u *User, cs []clause) bool {
	for _, c := range cs {
		switch c.attr {
		case "username":
			if !strings.EqualFold(u.UserName, c.value) {
				return false
			}
		case "externalid":
			if u.ExternalID != c.value {
				return false
			}
		case "id":
			if u.ID != c.value {
				return false
			}
		}
	}
	return true
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, id string) *scimError {
	u, ok := s.users[id]
	if !ok {
		return errorf(http.StatusNotFound, "", "user %s not found", id)
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.etag(u.version), s.renderUser(u))
		return nil
	case http.MethodDelete:
		s.dropUser(u)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPut:
		if err := s.checkIfMatch(r, u.version); err != nil {
			return err
		}
		body, err := decodeBody(r)
		if err != nil {
			return err
		}
		n := &User{ID: id, Active: true}
		for k, v := range body {
			if err := setUserAttr(n, k, v); err != nil {
				return err
			}
		}
		if err := s.validateUser(n); err != nil {
			return err
		}
		n.version = u.version + 1
		s.storeUser(u, n)
		writeJSON(w, http.StatusOK, s.etag(n.version), s.renderUser(n))
		return nil
	case http.MethodPatch:
		if s.opts.NoPatch {
			return errorf(http.StatusNotImplemented, "", "PATCH is not supported")
		}
		if err := s.checkIfMatch(r, u.version); err != nil {
			return err
		}
		ops, err := decodePatch(r)
		if err != nil {
			return err
		}
		n := *u
		n.Emails = slices.Clone(u.Emails)
		n.Enterprise = maps.Clone(u.Enterprise)
		for _, op := range ops {
			if op.Op != "replace" && op.Op != "add" {
				return errorf(http.StatusBadRequest, "invalidSyntax", "op %q is not supported on users", op.Op)
			}
			if op.Path == "" {
				m, ok := op.Value.(map[string]any)
				if !ok {
					return errorf(http.StatusBadRequest, "invalidValue", "a replace without path needs an object value")
				}
				for k, v := range m {
					if err := setUserAttr(&n, k, v); err != nil {
						return err
					}
				}
				continue
			}
			if err := setUserAttr(&n, op.Path, op.Value); err != nil {
				return err
			}
		}
		if err := s.validateUser(&n); err != nil {
			return err
		}
		n.version = u.version + 1
		s.storeUser(u, &n)
		writeJSON(w, http.StatusOK, s.etag(n.version), s.renderUser(&n))
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
}

type op struct {
	Op    string
	Path  string
	Value any
}

// decodePatch reads a PatchOp message; op names are case-insensitive
// (Entra sends "Replace").
func decodePatch(r *http.Request) ([]op, *scimError) {
	var msg struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"Operations"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "bad PatchOp: %v", err)
	}
	if !slices.Contains(msg.Schemas, "urn:ietf:params:scim:api:messages:2.0:PatchOp") {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "PatchOp schema missing")
	}
	if len(msg.Operations) == 0 {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "no Operations")
	}
	out := make([]op, len(msg.Operations))
	for i, o := range msg.Operations {
		out[i] = op{Op: strings.ToLower(o.Op), Path: o.Path, Value: o.Value}
	}
	return out, nil
}
