package workspacetest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// RenameUser changes a user's primary email; the ID stays.
func (s *Server) RenameUser(user, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(user)
	if u == nil {
		return fmt.Errorf("workspacetest: no user %q", user)
	}
	if other := s.user(email); other != nil && other != u {
		return fmt.Errorf("workspacetest: %s already belongs to user %s", email, other.ID)
	}
	s.logAudit("USER_SETTINGS", "RENAME_USER", "USER_EMAIL", u.PrimaryEmail, "NEW_VALUE", email)
	u.PrimaryEmail = email
	return nil
}

// SetSuspended suspends or restores a user.
func (s *Server) SetSuspended(user string, suspended bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(user)
	if u == nil {
		return fmt.Errorf("workspacetest: no user %q", user)
	}
	u.Suspended = suspended
	name := "UNSUSPEND_USER"
	if suspended {
		name = "SUSPEND_USER"
	}
	s.logAudit("USER_SETTINGS", name, "USER_EMAIL", u.PrimaryEmail)
	return nil
}

// AddMember adds m to a group (by ID or email). For m.Type USER or GROUP,
// m.ID may be left empty when m.Email names a user or group of the org.
func (s *Server) AddMember(group string, m Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	if g == nil {
		return fmt.Errorf("workspacetest: no group %q", group)
	}
	if m.Type == "" {
		m.Type = TypeUser
	}
	if m.Role == "" {
		m.Role = RoleMember
	}
	if m.ID == "" {
		switch m.Type {
		case TypeUser:
			if u := s.user(m.Email); u != nil {
				m.ID = u.ID
			}
		case TypeGroup:
			if sub := s.group(m.Email); sub != nil {
				m.ID = sub.ID
			}
		}
		if m.ID == "" {
			return fmt.Errorf("workspacetest: cannot resolve member %q", m.Email)
		}
	}
	for _, old := range g.Members {
		if old.ID == m.ID {
			return fmt.Errorf("workspacetest: %s is already a member of %s", m.ID, g.Email)
		}
	}
	g.Members = append(g.Members, m)
	s.logAudit("GROUP_SETTINGS", "ADD_GROUP_MEMBER", "GROUP_EMAIL", g.Email, "USER_EMAIL", s.memberEmail(m))
	return nil
}

// RemoveMember removes a member (by ID or email) from a group.
func (s *Server) RemoveMember(group, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	if g == nil {
		return fmt.Errorf("workspacetest: no group %q", group)
	}
	for i, m := range g.Members {
		if m.ID == member || s.memberEmail(m) == strings.ToLower(member) {
			g.Members = append(g.Members[:i], g.Members[i+1:]...)
			s.logAudit("GROUP_SETTINGS", "REMOVE_GROUP_MEMBER", "GROUP_EMAIL", g.Email, "USER_EMAIL", s.memberEmail(m))
			return nil
		}
	}
	return fmt.Errorf("workspacetest: %q is not a member of %s", member, g.Email)
}

// memberEmail is the lower-cased current email of a member. Called with
// s.mu held.
func (s *Server) memberEmail(m Member) string {
	if u := s.user(m.ID); u != nil {
		return strings.ToLower(u.PrimaryEmail)
	}
	if g := s.group(m.ID); g != nil {
		return strings.ToLower(g.Email)
	}
	return strings.ToLower(m.Email)
}

// serveAdmin serves the scripted-change endpoints used by `make demo`:
//
//	POST /_fake/rename?user=ID&email=NEW
//	POST /_fake/suspend?user=ID[&suspended=false]
//	POST /_fake/add-member?group=G&member=EMAIL_OR_ID[&type=GROUP]
//	POST /_fake/remove-member?group=G&member=EMAIL_OR_ID
//	POST /_fake/fault?endpoint=members&group=G&page=N&status=503&times=K
//	POST /_fake/reject-tokens
//	POST /_fake/clear-faults
//	GET  /_fake/stats
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	action := strings.TrimPrefix(r.URL.Path, "/_fake/")
	if action == "stats" {
		s.mu.Lock()
		stats := map[string]any{"requests": s.counts, "directory_requests": s.total.Load(), "quota_rejections": s.rejected}
		writeJSON(w, http.StatusOK, stats)
		s.mu.Unlock()
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var err error
	switch action {
	case "rename":
		err = s.RenameUser(q.Get("user"), q.Get("email"))
	case "suspend":
		err = s.SetSuspended(q.Get("user"), q.Get("suspended") != "false")
	case "add-member":
		key := q.Get("member")
		m := Member{Type: strings.ToUpper(q.Get("type")), Role: strings.ToUpper(q.Get("role"))}
		if strings.Contains(key, "@") {
			m.Email = key
		} else {
			m.ID = key
		}
		err = s.AddMember(q.Get("group"), m)
	case "remove-member":
		err = s.RemoveMember(q.Get("group"), q.Get("member"))
	case "fault":
		f := Fault{Endpoint: q.Get("endpoint"), Group: q.Get("group"), Reason: q.Get("reason")}
		f.Page, _ = strconv.Atoi(q.Get("page"))
		f.Status, _ = strconv.Atoi(q.Get("status"))
		f.Times, _ = strconv.Atoi(q.Get("times"))
		if f.Status == 0 {
			err = fmt.Errorf("status is required")
			break
		}
		s.Inject(f)
	case "reject-tokens":
		s.RejectTokens()
	case "clear-faults":
		s.ClearFaults()
	default:
		http.Error(w, "unknown action "+action, http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, "ok")
}
