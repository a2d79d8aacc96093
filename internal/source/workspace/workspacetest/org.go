package workspacetest

import (
	"cmp"
	"fmt"
	"strings"
)

// Member types and roles, as the Directory API spells them.
const (
	TypeUser     = "USER"
	TypeGroup    = "GROUP"
	TypeCustomer = "CUSTOMER"

	RoleOwner   = "OWNER"
	RoleManager = "MANAGER"
	RoleMember  = "MEMBER"
)

// Org is the organisation a Server serves. Build one by hand or with
// Generate. Once passed to NewServer, change it only through the Server's
// methods, which lock it.
type Org struct {
	// CustomerID is what "my_customer" stands for (e.g. C01abcd23).
	CustomerID string
	// Domain is the primary domain.
	Domain string
	Users  []*User
	Groups []*Group
}

// User is a directory user.
type User struct {
	ID           string
	PrimaryEmail string
	GivenName    string
	FamilyName   string
	Suspended    bool
	Archived     bool
	// Fields the write endpoints set (see write.go).
	ExternalIDs []ExternalID
	OrgUnitPath string
	// Profile fields the API returns as they are set here (see
	// profile.go); CustomSchemas only with projection=custom or full.
	Organizations []Organization
	Relations     []Relation
	CustomSchemas map[string]map[string]any
	// Password is what users.insert or a password change sent, with its
	// HashFunction ("" for a clear-text password). The API never shows
	// either; tests read them here.
	Password                  string
	HashFunction              string
	ChangePasswordAtNextLogin bool
}

// ExternalID is one of a user's externalIds.
type ExternalID struct {
	Type       string `json:"type"`
	CustomType string `json:"customType,omitempty"`
	Value      string `json:"value"`
}

// Group is a group and its direct members, in listing order.
type Group struct {
	ID          string
	Email       string
	Name        string
	Description string
	Members     []Member
}

// Member is one direct member of a group. For a USER member whose ID is a
// user of the org, and for a GROUP member, the listing shows the current
// email of that user or group (the API follows renames), so Email is only
// used for outside addresses. Status is derived from the user (ACTIVE,
// SUSPENDED or ARCHIVED) unless NoStatus is set, which reproduces members
// listed without a status.
type Member struct {
	ID       string
	Email    string
	Role     string
	Type     string
	NoStatus bool
}

// User returns the user with the given ID or primary email.
func (o *Org) User(key string) *User {
	for _, u := range o.Users {
		if u.ID == key || strings.EqualFold(u.PrimaryEmail, key) {
			return u
		}
	}
	return nil
}

// Group returns the group with the given ID or email.
func (o *Org) Group(key string) *Group {
	for _, g := range o.Groups {
		if g.ID == key || strings.EqualFold(g.Email, key) {
			return g
		}
	}
	return nil
}

// clone deep-copies the org so that a Server never shares slices with its
// caller.
func (o *Org) clone() *Org {
	c := &Org{CustomerID: o.CustomerID, Domain: o.Domain}
	for _, u := range o.Users {
		cu := *u
		cu.ExternalIDs = append([]ExternalID(nil), u.ExternalIDs...)
		c.Users = append(c.Users, &cu)
	}
	for _, g := range o.Groups {
		cg := *g
		cg.Members = append([]Member(nil), g.Members...)
		c.Groups = append(c.Groups, &cg)
	}
	return c
}

// apiMember renders a member as members.list shows it.
func (s *Server) apiMember(g *Group, m Member) map[string]any {
	o := s.org
	out := map[string]any{
		"kind": "admin#directory#member",
		"etag": etag(g.ID, m.ID),
		"id":   m.ID,
		"role": m.Role,
		"type": m.Type,
	}
	status := "ACTIVE"
	switch m.Type {
	case TypeUser:
		if u := s.user(m.ID); u != nil {
			out["email"] = u.PrimaryEmail
			switch {
			case u.Archived:
				status = "ARCHIVED"
			case u.Suspended:
				status = "SUSPENDED"
			}
		} else {
			out["email"] = m.Email
		}
	case TypeGroup:
		if sub := s.group(m.ID); sub != nil {
			out["email"] = sub.Email
		} else {
			out["email"] = m.Email
		}
	case TypeCustomer:
		// A CUSTOMER member has no email; its ID is the customer ID.
		out["id"] = o.CustomerID
		status = ""
	}
	if m.Role == "" {
		out["role"] = RoleMember
	}
	if status != "" && !m.NoStatus {
		out["status"] = status
	}
	return out
}

func (o *Org) apiUser(u *User) map[string]any {
	out := map[string]any{
		"kind":         "admin#directory#user",
		"etag":         etag(u.ID, u.PrimaryEmail),
		"id":           u.ID,
		"primaryEmail": u.PrimaryEmail,
		"name": map[string]any{
			"givenName":  u.GivenName,
			"familyName": u.FamilyName,
			"fullName":   strings.TrimSpace(u.GivenName + " " + u.FamilyName),
		},
		"suspended":   u.Suspended,
		"archived":    u.Archived,
		"customerId":  o.CustomerID,
		"isAdmin":     false,
		"orgUnitPath": cmp.Or(u.OrgUnitPath, "/"),
	}
	if len(u.ExternalIDs) > 0 {
		ids := make([]any, len(u.ExternalIDs))
		for i, x := range u.ExternalIDs {
			ids[i] = map[string]any{"type": x.Type, "customType": x.CustomType, "value": x.Value}
		}
		out["externalIds"] = ids
	}
	addProfile(out, u)
	return out
}

func (o *Org) apiGroup(g *Group) map[string]any {
	return map[string]any{
		"kind":               "admin#directory#group",
		"etag":               etag(g.ID, g.Email),
		"id":                 g.ID,
		"email":              g.Email,
		"name":               g.Name,
		"description":        g.Description,
		"directMembersCount": fmt.Sprint(len(g.Members)),
		"adminCreated":       true,
	}
}

// etag makes a stable, quoted pseudo-etag like the API's.
func etag(parts ...string) string {
	var h uint32 = 2166136261
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint32(p[i])
			h *= 16777619
		}
	}
	return fmt.Sprintf("%q", fmt.Sprintf("fake%08x", h))
}
