package mapping

import (
	"fmt"

	"github.com/groupsync/groupsync/internal/model"
)

// Users returns a copy of users with the mapped attributes set on each
// user that want selects (nil selects all): the others are not written by
// this plan, so they are copied as read. targetID turns the manager's
// source ID into its target ID ("" when the manager is not in the target
// yet; the next run fills it in). A template that fails for a user fails
// the whole mapping: writing half-mapped users would flip them back and
// forth.
func (m *Mapping) Users(users map[string]model.User, want func(id string) bool, targetID func(sourceID string) string) (map[string]model.User, error) {
	if !m.ReadsProfile() {
		return users, nil
	}
	byEmail := make(map[string]string, len(users))
	for id, u := range users {
		byEmail[model.NormalizeEmail(u.Email)] = id
	}
	out := make(map[string]model.User, len(users))
	for id, u := range users {
		if want != nil && !want(id) {
			out[id] = u
			continue
		}
		mu, err := m.user1(u, byEmail, targetID)
		if err != nil {
			return nil, err
		}
		out[id] = mu
	}
	return out, nil
}

func (m *Mapping) user1(u model.User, byEmail map[string]string, targetID func(string) string) (model.User, error) {
	d := User{ID: u.ID, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, DisplayName: u.DisplayName}
	if p := u.Profile; p != nil {
		d.Organization, d.Title, d.Department, d.CostCenter = p.Organization, p.Title, p.Department, p.CostCenter
		d.EmployeeID, d.ExternalIDs = p.ExternalIDs["organization"], p.ExternalIDs
		d.ManagerEmail, d.Custom = p.ManagerEmail, p.Custom
		d.ManagerID = byEmail[model.NormalizeEmail(p.ManagerEmail)]
	}
	set := []*string{&u.UserName, &u.DisplayName, &u.Title, &u.Department, &u.CostCenter, &u.EmployeeNumber, &u.Manager}
	for i, t := range m.user {
		if t == nil {
			continue
		}
		v, err := execute(t, d)
		if err != nil {
			return model.User{}, fmt.Errorf("mapping %s of user %s: %w", t.Name(), u.Email, err)
		}
		if t.Name() == "user.manager" && v != "" && targetID != nil {
			v = targetID(v)
		}
		*set[i] = v
	}
	return u, nil
}

// Groups sets the mapped displayName on each membership's group. The plan
// compares it with what the group's ownership record says was written
// (model.DisplayHash), so a change is a group update.
func (m *Mapping) Groups(reads []model.Membership) ([]model.Membership, error) {
	if m == nil || m.group == nil {
		return reads, nil
	}
	out := make([]model.Membership, len(reads))
	for i, r := range reads {
		g := r.Group
		v, err := execute(m.group, Group{ID: g.ID, Email: g.Email, Name: g.Name, Description: g.Description})
		if err != nil {
			return nil, fmt.Errorf("mapping group.display_name of group %s: %w", g.Email, err)
		}
		if v != "" {
			r.Group.DisplayName = v
		}
		out[i] = r
	}
	return out, nil
}
