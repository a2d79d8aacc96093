package workspacetest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
)

// Endpoints of single resources, as counted by Requests. Calls inside a
// batch are counted under their own endpoint too.
const (
	EndpointUserGet      = "users.get"
	EndpointUserInsert   = "users.insert"
	EndpointUserUpdate   = "users.update"
	EndpointUserPatch    = "users.patch"
	EndpointUserDelete   = "users.delete"
	EndpointGroupGet     = "groups.get"
	EndpointGroupInsert  = "groups.insert"
	EndpointGroupUpdate  = "groups.update"
	EndpointGroupPatch   = "groups.patch"
	EndpointMemberInsert = "members.insert"
	EndpointMemberDelete = "members.delete"
)

// writeEndpoints are the endpoints that change the directory.
var writeEndpoints = []string{
	EndpointUserInsert, EndpointUserUpdate, EndpointUserPatch, EndpointUserDelete,
	EndpointGroupInsert, EndpointGroupUpdate, EndpointGroupPatch,
	EndpointMemberInsert, EndpointMemberDelete,
}

// Writes returns how many write requests (inserts, updates, patches and
// deletes, inside a batch or not) reached the server, refused ones
// included.
func (s *Server) Writes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, e := range writeEndpoints {
		n += s.counts[e]
	}
	return n
}

// admit checks a Directory API request as Google does, in order: a valid
// token, injected faults, the quota, the scope (need, or the read-write
// scope that covers it) and a delegated subject. It answers the request
// and returns false when the request must stop there.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, endpoint, group string, page int, need string) bool {
	grant, ok := s.grant(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "authError", "global",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return false
	}
	if s.fault(w, endpoint, group, page) {
		return false
	}
	if over, wait := s.overQuota(); over {
		w.Header().Set("Retry-After", fmt.Sprint(max(1, int(math.Ceil(wait.Seconds())))))
		writeError(w, http.StatusForbidden, "userRateLimitExceeded", "usageLimits",
			"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.")
		return false
	}
	if !grant.scopes[need] && !grant.scopes[strings.TrimSuffix(need, ".readonly")] && !grant.scopes[strings.TrimSuffix(need, ".member")] {
		writeError(w, http.StatusForbidden, "insufficientPermissions", "global", "Request had insufficient authentication scopes.")
		return false
	}
	if grant.subject == "" {
		// A token without a delegated subject is the service account
		// itself, which holds no admin role.
		writeError(w, http.StatusForbidden, "forbidden", "global", "Not Authorized to access this resource/api")
		return false
	}
	return true
}

// isListing reports whether a GET of p is one of the paged listings.
func isListing(p string) bool {
	parts := strings.Split(strings.TrimPrefix(p, "/admin/directory/v1/"), "/")
	return len(parts) == 1 && (parts[0] == "groups" || parts[0] == "users") ||
		len(parts) == 3 && parts[0] == "groups" && parts[2] == "members"
}

// handler serves one resource call with s.mu held: it returns the status,
// the body (nil for 204) and, for errors, the message.
type handler func(s *Server, keys []string, body map[string]json.RawMessage) (int, any, string)

type route struct {
	endpoint, scope string
	fn              handler
}

// routeFor maps a method and a path split at "/" to its route.
func routeFor(method string, parts []string) (route, bool) {
	shape := method + " " + parts[0]
	switch len(parts) {
	case 2:
		shape += "/{key}"
	case 3:
		shape += "/{key}/" + parts[2]
	case 4:
		shape += "/{key}/" + parts[2] + "/{key}"
	}
	r, ok := routes[shape]
	return r, ok
}

// routes maps "METHOD path-shape" to a route.
var routes = map[string]route{
	"POST users":                        {EndpointUserInsert, ScopeUser, (*Server).insertUser},
	"GET users/{key}":                   {EndpointUserGet, ScopeUserReadonly, (*Server).getUser},
	"PUT users/{key}":                   {EndpointUserUpdate, ScopeUser, (*Server).updateUser},
	"PATCH users/{key}":                 {EndpointUserPatch, ScopeUser, (*Server).updateUser},
	"DELETE users/{key}":                {EndpointUserDelete, ScopeUser, (*Server).deleteUser},
	"POST groups":                       {EndpointGroupInsert, ScopeGroup, (*Server).insertGroup},
	"GET groups/{key}":                  {EndpointGroupGet, ScopeGroupReadonly, (*Server).getGroup},
	"PUT groups/{key}":                  {EndpointGroupUpdate, ScopeGroup, (*Server).updateGroup},
	"PATCH groups/{key}":                {EndpointGroupPatch, ScopeGroup, (*Server).updateGroup},
	"POST groups/{key}/members":         {EndpointMemberInsert, ScopeGroupMember, (*Server).insertMember},
	"DELETE groups/{key}/members/{key}": {EndpointMemberDelete, ScopeGroupMember, (*Server).deleteMember},
}

// serveResource serves the single-resource methods: get, insert, update,
// patch and delete of users and groups, and members insert and delete.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(path, "/")
	rt, ok := routeFor(r.Method, parts)
	if !ok {
		writeError(w, http.StatusNotFound, "notFound", "global", "Not Found")
		return
	}
	var keys []string
	for i := 1; i < len(parts); i += 2 {
		k, err := url.PathUnescape(parts[i])
		if err != nil || k == "" {
			writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid Input: resource key")
			return
		}
		keys = append(keys, k)
	}
	s.count(rt.endpoint)
	s.total.Add(1)
	group := ""
	if strings.HasPrefix(rt.endpoint, "members.") {
		group = keys[0]
	}
	if !s.admit(w, r, rt.endpoint, group, 0, rt.scope) {
		return
	}
	var body map[string]json.RawMessage
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(b, &body)
		}
		if err != nil || body == nil {
			writeError(w, http.StatusBadRequest, "parseError", "global", "Invalid JSON payload received.")
			return
		}
	}
	s.mu.Lock()
	code, out, msg := rt.fn(s, keys, body)
	s.mu.Unlock()
	switch {
	case code >= 400:
		reason := map[int]string{400: "invalid", 404: "notFound", 409: "duplicate", 412: "conditionNotMet"}[code]
		writeError(w, code, reason, "global", msg)
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, code, out)
	}
}

// userWrite is the part of a User resource the fake accepts; nil means
// absent.
type userWrite struct {
	PrimaryEmail *string `json:"primaryEmail"`
	Name         *struct {
		GivenName  *string `json:"givenName"`
		FamilyName *string `json:"familyName"`
	} `json:"name"`
	Suspended                 *bool         `json:"suspended"`
	Password                  *string       `json:"password"`
	HashFunction              *string       `json:"hashFunction"`
	ChangePasswordAtNextLogin *bool         `json:"changePasswordAtNextLogin"`
	OrgUnitPath               *string       `json:"orgUnitPath"`
	ExternalIDs               *[]ExternalID `json:"externalIds"`
}

func decodeInto(body map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

var (
	hexRe   = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	cryptRe = regexp.MustCompile(`^(\$[0-9a-z]+\$[^\s]+|[./0-9A-Za-z]{13})$`)
)

// checkPassword validates a password for its hashFunction as Google does.
func checkPassword(pw, hf string) string {
	switch hf {
	case "":
		if len(pw) < 8 || len(pw) > 100 {
			return "Invalid Password"
		}
	case "SHA-1":
		if len(pw) != 40 || !hexRe.MatchString(pw) {
			return "Invalid Password"
		}
	case "MD5":
		if len(pw) != 32 || !hexRe.MatchString(pw) {
			return "Invalid Password"
		}
	case "crypt":
		if !cryptRe.MatchString(pw) {
			return "Invalid Password"
		}
	default:
		return "Invalid Input: hashFunction"
	}
	return ""
}

// emailTaken reports whether a user or group other than self holds
// email. Called with s.mu held.
func (s *Server) emailTaken(email string, self any) bool {
	if u := s.org.User(email); u != nil && any(u) != self {
		return true
	}
	if g := s.org.Group(email); g != nil && any(g) != self {
		return true
	}
	return false
}

// checkEmail checks an address is in the org's domain.
func (s *Server) checkEmail(email string) (int, string) {
	at := strings.LastIndexByte(email, '@')
	switch {
	case at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " /"):
		return http.StatusBadRequest, "Invalid Input: email"
	case !strings.EqualFold(email[at+1:], s.org.Domain):
		return http.StatusBadRequest, "Domain not found."
	}
	return 0, ""
}

var nextID atomic.Int64

func (s *Server) newUserID() string {
	for {
		id := fmt.Sprintf("1%020d", 900000000+nextID.Add(1))
		if _, ok := s.usersByID[id]; !ok {
			return id
		}
	}
}

func (s *Server) newGroupID() string {
	for {
		id := fmt.Sprintf("0w%013x", nextID.Add(1))
		if _, ok := s.groupsByID[id]; !ok {
			return id
		}
	}
}

func (s *Server) insertUser(_ []string, body map[string]json.RawMessage) (int, any, string) {
	var in userWrite
	if err := decodeInto(body, &in); err != nil {
		return http.StatusBadRequest, nil, "Invalid JSON payload received."
	}
	switch {
	case in.PrimaryEmail == nil:
		return http.StatusBadRequest, nil, "Invalid Input: primary_user_email"
	case in.Name == nil || in.Name.GivenName == nil || strings.TrimSpace(*in.Name.GivenName) == "":
		return http.StatusBadRequest, nil, "Invalid Given/Family Name: GivenName"
	case in.Name.FamilyName == nil || strings.TrimSpace(*in.Name.FamilyName) == "":
		return http.StatusBadRequest, nil, "Invalid Given/Family Name: FamilyName"
	case in.Password == nil:
		return http.StatusBadRequest, nil, "Invalid Password"
	}
	u := &User{ID: s.newUserID(), OrgUnitPath: "/"}
	if code, out, msg := s.applyUser(u, in); code != 0 {
		return code, out, msg
	}
	s.org.Users = append(s.org.Users, u)
	s.usersByID[u.ID] = u
	return http.StatusOK, s.org.apiUser(u), ""
}

// applyUser writes the fields present in in to u, or changes nothing and
// returns an error status.
func (s *Server) applyUser(u *User, in userWrite) (int, any, string) {
	next := *u
	if in.PrimaryEmail != nil {
		email := strings.TrimSpace(*in.PrimaryEmail)
		if code, msg := s.checkEmail(email); code != 0 {
			return code, nil, msg
		}
		if s.emailTaken(email, u) {
			return http.StatusConflict, nil, "Entity already exists."
		}
		next.PrimaryEmail = email
	}
	if in.Name != nil {
		if in.Name.GivenName != nil {
			next.GivenName = *in.Name.GivenName
		}
		if in.Name.FamilyName != nil {
			next.FamilyName = *in.Name.FamilyName
		}
		if strings.TrimSpace(next.GivenName) == "" || strings.TrimSpace(next.FamilyName) == "" {
			return http.StatusBadRequest, nil, "Invalid Given/Family Name"
		}
	}
	if in.Password != nil {
		hf := ""
		if in.HashFunction != nil {
			hf = *in.HashFunction
		}
		if msg := checkPassword(*in.Password, hf); msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		next.Password, next.HashFunction = *in.Password, hf
	}
	if in.ChangePasswordAtNextLogin != nil {
		next.ChangePasswordAtNextLogin = *in.ChangePasswordAtNextLogin
	}
	if in.Suspended != nil {
		next.Suspended = *in.Suspended
	}
	if in.OrgUnitPath != nil {
		if !strings.HasPrefix(*in.OrgUnitPath, "/") {
			return http.StatusBadRequest, nil, "Invalid Input: INVALID_OU_ID"
		}
		next.OrgUnitPath = *in.OrgUnitPath
	}
	if in.ExternalIDs != nil {
		next.ExternalIDs = append([]ExternalID(nil), (*in.ExternalIDs)...)
	}
	*u = next
	return 0, nil, ""
}

func (s *Server) getUser(keys []string, _ map[string]json.RawMessage) (int, any, string) {
	u := s.user(keys[0])
	if u == nil {
		return http.StatusNotFound, nil, "Resource Not Found: userKey"
	}
	return http.StatusOK, s.org.apiUser(u), ""
}

func (s *Server) updateUser(keys []string, body map[string]json.RawMessage) (int, any, string) {
	u := s.user(keys[0])
	if u == nil {
		return http.StatusNotFound, nil, "Resource Not Found: userKey"
	}
	var in userWrite
	if err := decodeInto(body, &in); err != nil {
		return http.StatusBadRequest, nil, "Invalid JSON payload received."
	}
	if code, out, msg := s.applyUser(u, in); code != 0 {
		return code, out, msg
	}
	return http.StatusOK, s.org.apiUser(u), ""
}

// deleteUser deletes a user and, as Google does, its memberships.
func (s *Server) deleteUser(keys []string, _ map[string]json.RawMessage) (int, any, string) {
	u := s.user(keys[0])
	if u == nil {
		return http.StatusNotFound, nil, "Resource Not Found: userKey"
	}
	delete(s.usersByID, u.ID)
	for i, x := range s.org.Users {
		if x == u {
			s.org.Users = append(s.org.Users[:i:i], s.org.Users[i+1:]...)
			break
		}
	}
	for _, g := range s.org.Groups {
		g.Members = removeMember(g.Members, u.ID)
	}
	return http.StatusNoContent, nil, ""
}

func removeMember(ms []Member, id string) []Member {
	out := ms[:0:0]
	for _, m := range ms {
		if m.ID != id {
			out = append(out, m)
		}
	}
	return out
}

type groupWrite struct {
	Email       *string `json:"email"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (s *Server) insertGroup(_ []string, body map[string]json.RawMessage) (int, any, string) {
	var in groupWrite
	if err := decodeInto(body, &in); err != nil || in.Email == nil {
		return http.StatusBadRequest, nil, "Invalid Input: email"
	}
	g := &Group{ID: s.newGroupID()}
	if code, msg := s.applyGroup(g, in); code != 0 {
		return code, nil, msg
	}
	if g.Name == "" {
		g.Name = g.Email[:strings.IndexByte(g.Email, '@')]
	}
	s.org.Groups = append(s.org.Groups, g)
	s.groupsByID[g.ID] = g
	return http.StatusOK, s.org.apiGroup(g), ""
}

func (s *Server) applyGroup(g *Group, in groupWrite) (int, string) {
	next := *g
	if in.Email != nil {
		email := strings.TrimSpace(*in.Email)
		if code, msg := s.checkEmail(email); code != 0 {
			return code, msg
		}
		if s.emailTaken(email, g) {
			return http.StatusConflict, "Entity already exists."
		}
		next.Email = email
	}
	if in.Name != nil {
		next.Name = *in.Name
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	*g = next
	return 0, ""
}

func (s *Server) getGroup(keys []string, _ map[string]json.RawMessage) (int, any, string) {
	g := s.group(keys[0])
	if g == nil {
		return http.StatusNotFound, nil, "Resource Not Found: groupKey"
	}
	return http.StatusOK, s.org.apiGroup(g), ""
}

func (s *Server) updateGroup(keys []string, body map[string]json.RawMessage) (int, any, string) {
	g := s.group(keys[0])
	if g == nil {
		return http.StatusNotFound, nil, "Resource Not Found: groupKey"
	}
	var in groupWrite
	if err := decodeInto(body, &in); err != nil {
		return http.StatusBadRequest, nil, "Invalid JSON payload received."
	}
	if code, msg := s.applyGroup(g, in); code != 0 {
		return code, nil, msg
	}
	return http.StatusOK, s.org.apiGroup(g), ""
}

func (s *Server) insertMember(keys []string, body map[string]json.RawMessage) (int, any, string) {
	g := s.group(keys[0])
	if g == nil {
		return http.StatusNotFound, nil, "Resource Not Found: groupKey"
	}
	var in struct{ ID, Email, Role, Type string }
	if err := decodeInto(body, &in); err != nil || in.ID == "" && in.Email == "" {
		return http.StatusBadRequest, nil, "Missing required field: memberKey"
	}
	key := in.ID
	if key == "" {
		key = in.Email
	}
	m := Member{Role: in.Role, Type: TypeUser}
	if m.Role == "" {
		m.Role = RoleMember
	}
	switch u, sub := s.user(key), s.group(key); {
	case u != nil:
		m.ID = u.ID
	case sub != nil:
		m.ID, m.Type = sub.ID, TypeGroup
	case in.ID != "":
		return http.StatusNotFound, nil, "Resource Not Found: memberKey"
	default: // an outside address
		m.ID, m.Email = "ext-"+strings.ToLower(in.Email), in.Email
	}
	for _, old := range g.Members {
		if old.ID == m.ID {
			return http.StatusConflict, nil, "Member already exists."
		}
	}
	g.Members = append(g.Members, m)
	return http.StatusOK, s.apiMember(g, m), ""
}

func (s *Server) deleteMember(keys []string, _ map[string]json.RawMessage) (int, any, string) {
	g := s.group(keys[0])
	if g == nil {
		return http.StatusNotFound, nil, "Resource Not Found: groupKey"
	}
	for i, m := range g.Members {
		if m.ID == keys[1] || s.memberEmail(m) == strings.ToLower(keys[1]) {
			g.Members = slices.Delete(g.Members, i, i+1)
			return http.StatusNoContent, nil, ""
		}
	}
	return http.StatusNotFound, nil, "Resource Not Found: memberKey"
}

// parseUserQuery supports the users.list search the Workspace target
// uses: externalId:VALUE (quoted with '…' when it has spaces).
func parseUserQuery(q string) (func(*User) bool, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return func(*User) bool { return true }, nil
	}
	v, ok := strings.CutPrefix(q, "externalId:")
	if !ok {
		return nil, fmt.Errorf("unsupported query %q", q)
	}
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = strings.ReplaceAll(v[1:len(v)-1], `\'`, `'`)
	}
	return func(u *User) bool {
		for _, x := range u.ExternalIDs {
			if x.Value == v {
				return true
			}
		}
		return false
	}, nil
}
