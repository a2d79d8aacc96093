package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// groupDisplayName is the displayName groupsync gives a group: its email,
// because providers require unique displayNames and group names are not
// unique in a directory (emails are). A group without email uses its name.
// A displayName from rules[].mapping comes first.
func groupDisplayName(g model.GroupInfo) string {
	if d := strings.TrimSpace(g.DisplayName); d != "" {
		return d
	}
	if e := strings.TrimSpace(g.Email); e != "" {
		return e
	}
	return strings.TrimSpace(g.Name)
}

// CreateGroup creates g with displayName = its email and externalId = its
// source ID, or finds it first by displayName (case-insensitively) and then
// externalId. An existing group whose externalId is the source ID is taken
// over (Created.TakenOver); any other is adopted when opts.Adopt, else the
// error wraps target.ErrConflict. opts.Active does not apply to groups.
func (t *Target) CreateGroup(ctx context.Context, g model.GroupInfo, opts target.CreateOptions) (target.Created, error) {
	if g.ID == "" {
		return target.Created{}, errors.New("scim: group has no source ID")
	}
	dn := groupDisplayName(g)
	if dn == "" {
		return target.Created{}, fmt.Errorf("scim: group %s has no email or name", g.ID)
	}
	body := group{Schemas: []string{schemaGroup}, DisplayName: dn, ExternalID: g.ID}
	lookup := func(ctx context.Context) (found, error) { return t.lookupGroup(ctx, g.ID, dn) }
	c, err := t.create(ctx, "group", dn, "/Groups", body, t.firstLookup(&t.groups, groupIndex, dn, g.ID, lookup), lookup, opts)
	if err == nil {
		t.groups.remember(c.ID, dn, g.ID)
	}
	return c, err
}

func (t *Target) lookupGroup(ctx context.Context, sourceID, displayName string) (found, error) {
	groups, err := t.findGroups(ctx, eqFilter("displayName", displayName))
	if err != nil {
		return found{}, err
	}
	for _, f := range groups {
		if strings.EqualFold(strings.TrimSpace(f.DisplayName), displayName) && f.ID != "" {
			return found{id: f.ID, ours: f.ExternalID == sourceID}, nil
		}
	}
	groups, err = t.findGroups(ctx, eqFilter("externalId", sourceID))
	if statusOf(err) == http.StatusBadRequest {
		t.logger.DebugContext(ctx, "externalId filter refused", "err", err.Error())
		return found{}, nil
	}
	if err != nil {
		return found{}, err
	}
	for _, f := range groups {
		if f.ExternalID == sourceID && f.ID != "" {
			return found{id: f.ID, ours: true}, nil
		}
	}
	return found{}, nil
}

// UpdateGroup sets the group's displayName (its email) after a rename. It
// wraps target.ErrNotFound if the group is gone.
func (t *Target) UpdateGroup(ctx context.Context, id string, g model.GroupInfo) error {
	if id == "" {
		return errors.New("scim: update group: empty id")
	}
	dn := groupDisplayName(g)
	if dn == "" {
		return fmt.Errorf("scim: group %s has no email or name", g.ID)
	}
	unlock, err := t.lockGroup(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	err = t.patchOrPut(ctx, "/Groups/"+id, []patchOp{{Op: "replace", Path: "displayName", Value: dn}},
		func(r map[string]any) { r["displayName"] = dn })
	if err != nil {
		return fmt.Errorf("scim: update group %s: %w", id, err)
	}
	return nil
}

// DeleteGroup deletes the group; one already gone is done.
func (t *Target) DeleteGroup(ctx context.Context, id string) error {
	return t.delete(ctx, "group", "/Groups/", id)
}
