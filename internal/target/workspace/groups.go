package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// descriptionPrefix starts the description of a group groupsync created;
// the source group ID follows. It only tells a 409 after our own retried
// insert from someone else's group: groups are found again through the
// ownership records, never by email or description.
const descriptionPrefix = "Managed by groupsync; source group ID: "

// SourceGroupID returns the source group ID in the description of a group
// groupsync created, or "".
func SourceGroupID(description string) string {
	id, _ := strings.CutPrefix(description, descriptionPrefix)
	if id == description {
		return ""
	}
	return id
}

func groupName(g model.GroupInfo, email string) string {
	return cmpOrTrim(g.Name, email[:strings.IndexByte(email, '@')])
}

// CreateGroup creates the group with its email from group_email. A group
// that already has the address is adopted if opts.Adopt, else the error
// wraps target.ErrConflict: a group's email is no identity. Only right
// after our own insert answered 409 (a retried insert that had landed) is
// a group whose description names g.ID taken over as ours.
func (t *Target) CreateGroup(ctx context.Context, g model.GroupInfo, opts target.CreateOptions) (target.Created, error) {
	if g.ID == "" {
		return target.Created{}, errors.New("workspace: group has no source ID")
	}
	email, err := t.groupAddress(g)
	if err != nil {
		return target.Created{}, fmt.Errorf("workspace: %w", err)
	}
	existing, err := t.svc.Groups.Get(email).Fields("id,email,description").Context(ctx).Do()
	switch {
	case err == nil:
		if !opts.Adopt {
			return target.Created{}, fmt.Errorf("workspace: group %s exists as %s: %w", email, existing.Id, target.ErrConflict)
		}
		return target.Created{ID: existing.Id, Adopted: true}, nil
	case statusOf(err) != http.StatusNotFound:
		return target.Created{}, fmt.Errorf("workspace: look up group %s: %w", email, err)
	}
	ng := &admin.Group{Email: email, Name: groupName(g, email), Description: descriptionPrefix + g.ID}
	created, err := t.svc.Groups.Insert(ng).Fields("id").Context(ctx).Do()
	if statusOf(err) == http.StatusConflict {
		existing, gerr := t.svc.Groups.Get(email).Fields("id,email,description").Context(ctx).Do()
		switch {
		case gerr != nil:
			// A user or an alias holds the address.
			return target.Created{}, fmt.Errorf("workspace: create group %s: %w; reading it: %w: %w", email, err, gerr, target.ErrConflict)
		case SourceGroupID(existing.Description) == g.ID:
			return target.Created{ID: existing.Id, TakenOver: true}, nil
		case !opts.Adopt:
			return target.Created{}, fmt.Errorf("workspace: group %s exists as %s: %w", email, existing.Id, target.ErrConflict)
		}
		return target.Created{ID: existing.Id, Adopted: true}, nil
	}
	if err != nil {
		return target.Created{}, fmt.Errorf("workspace: create group %s: %w", email, err)
	}
	return target.Created{ID: created.Id}, nil
}

// UpdateGroup rewrites the group's email (Google keeps the old one as an
// alias) and name.
func (t *Target) UpdateGroup(ctx context.Context, id string, g model.GroupInfo) error {
	if id == "" {
		return errors.New("workspace: update group: empty id")
	}
	email, err := t.groupAddress(g)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	patch := &admin.Group{Email: email, Name: groupName(g, email)}
	if _, err := t.svc.Groups.Patch(id, patch).Fields("id").Context(ctx).Do(); err != nil {
		if statusOf(err) == http.StatusConflict {
			err = fmt.Errorf("%w: %w", target.ErrConflict, err)
		}
		return fmt.Errorf("workspace: update group %s (%s): %w", id, email, notFound(err))
	}
	return nil
}
