package workspacetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page size caps and defaults of the Directory API.
const (
	maxGroups      = 200
	maxMembers     = 200
	maxUsers       = 500
	defaultUsers   = 100
	defaultGroups  = 200
	defaultMembers = 200
)

func (s *Server) serveDirectory(w http.ResponseWriter, r *http.Request, path string) {
	var endpoint, groupKey string
	switch parts := strings.Split(path, "/"); {
	case path == "groups":
		endpoint = EndpointGroups
	case path == "users":
		endpoint = EndpointUsers
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "members":
		endpoint = EndpointMembers
		groupKey, _ = url.PathUnescape(parts[1])
	default:
		writeError(w, http.StatusNotFound, "notFound", "global", "Not Found")
		return
	}
	s.count(endpoint)
	s.total.Add(1)

	q := r.URL.Query()
	offset, page, err := decodePageToken(q.Get("pageToken"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid Input: pageToken")
		return
	}
	need := ScopeGroupReadonly
	if endpoint == EndpointUsers {
		need = ScopeUserReadonly
	}
	if !s.admit(w, r, endpoint, groupKey, page, need) {
		return
	}
	fields, err := parseFields(q.Get("fields"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidParameter", "global", "Invalid field selection: "+err.Error())
		return
	}
	limit, err := maxResults(q.Get("maxResults"), endpoint)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid Input: maxResults")
		return
	}

	s.mu.Lock()
	body, code, msg := s.list(endpoint, groupKey, q, offset, page, limit)
	s.mu.Unlock()
	if code != 0 {
		reason := map[int]string{400: "badRequest", 404: "notFound"}[code]
		writeError(w, code, reason, "global", msg)
		return
	}
	writeJSON(w, http.StatusOK, fields.apply(body))
}

// list builds one page. Called with s.mu held.
func (s *Server) list(endpoint, groupKey string, q url.Values, offset, page, limit int) (map[string]any, int, string) {
	o := s.org
	// items are rendered lazily: only the page's slice is built.
	var items []func() any
	var kind, key string
	switch endpoint {
	case EndpointGroups:
		if c := s.customerError(q); c != "" {
			return nil, http.StatusBadRequest, c
		}
		kind, key = "admin#directory#groups", "groups"
		domain := strings.ToLower(q.Get("domain"))
		for _, g := range o.Groups {
			if domain == "" || strings.HasSuffix(strings.ToLower(g.Email), "@"+domain) {
				items = append(items, func() any { return o.apiGroup(g) })
			}
		}
	case EndpointUsers:
		if c := s.customerError(q); c != "" {
			return nil, http.StatusBadRequest, c
		}
		kind, key = "admin#directory#users", "users"
		domain := strings.ToLower(q.Get("domain"))
		match, err := parseUserQuery(q.Get("query"))
		if err != nil {
			return nil, http.StatusBadRequest, "Invalid Input: query"
		}
		for _, u := range o.Users {
			if (domain == "" || strings.HasSuffix(strings.ToLower(u.PrimaryEmail), "@"+domain)) && match(u) {
				items = append(items, func() any { return projectUser(o.apiUser(u), q) })
			}
		}
	case EndpointMembers:
		g := s.group(groupKey)
		if g == nil {
			return nil, http.StatusNotFound, "Resource Not Found: groupKey"
		}
		kind, key = "admin#directory#members", "members"
		for _, m := range g.Members {
			items = append(items, func() any { return s.apiMember(g, m) })
		}
	}
	body := map[string]any{"kind": kind, "etag": etag(kind, fmt.Sprint(offset))}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	// Like Google, an empty result has no array key at all.
	if end > offset {
		rendered := make([]any, 0, end-offset)
		for _, render := range items[offset:end] {
			rendered = append(rendered, render())
		}
		body[key] = rendered
	}
	if end < len(items) {
		body["nextPageToken"] = encodePageToken(end, page+1)
	}
	return body, 0, ""
}

// customerError checks the customer and domain parameters.
func (s *Server) customerError(q url.Values) string {
	c, d := q.Get("customer"), q.Get("domain")
	switch {
	case c == "" && d == "":
		return "Bad Request"
	case c != "" && c != "my_customer" && c != s.org.CustomerID:
		return "Bad Request"
	case d != "" && !strings.EqualFold(d, s.org.Domain):
		return "Domain not found."
	}
	return ""
}

func maxResults(v, endpoint string) (int, error) {
	def, most := defaultMembers, maxMembers
	switch endpoint {
	case EndpointGroups:
		def, most = defaultGroups, maxGroups
	case EndpointUsers:
		def, most = defaultUsers, maxUsers
	}
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("bad maxResults %q", v)
	}
	return min(n, most), nil
}

func encodePageToken(offset, page int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o=%d;p=%d", offset, page))
}

// decodePageToken returns the offset and the 1-based page number.
func decodePageToken(t string) (offset, page int, err error) {
	if t == "" {
		return 0, 1, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(string(b), "o=%d;p=%d", &offset, &page); err != nil {
		return 0, 0, err
	}
	if offset < 0 || page < 2 {
		return 0, 0, fmt.Errorf("bad page token")
	}
	return offset, page, nil
}
