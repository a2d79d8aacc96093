package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// externalIDType marks the externalIds entry groupsync writes.
const externalIDType = "groupsync"

// userFields are the fields read back from users.
const userFields = "id,primaryEmail,suspended,externalIds"

type externalID struct {
	Type       string `json:"type"`
	CustomType string `json:"customType,omitempty"`
	Value      string `json:"value"`
}

// externalIDs reads a user's externalIds (an untyped field in the
// generated client).
func externalIDs(u *admin.User) []externalID {
	b, err := json.Marshal(u.ExternalIds)
	if err != nil {
		return nil
	}
	var out []externalID
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

func ours(sourceID string) externalID {
	return externalID{Type: "custom", CustomType: externalIDType, Value: sourceID}
}

// isOurs reports whether u carries groupsync's externalId for sourceID.
func isOurs(u *admin.User, sourceID string) bool {
	for _, x := range externalIDs(u) {
		if x == ours(sourceID) {
			return true
		}
	}
	return false
}

// names fills in what Google requires: a given and a family name.
func names(u model.User, email string) *admin.UserName {
	local := email[:strings.IndexByte(email, '@')]
	return &admin.UserName{
		GivenName:  cmpOrTrim(u.GivenName, local),
		FamilyName: cmpOrTrim(u.FamilyName, local),
	}
}

func cmpOrTrim(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}

// CreateUser creates u with its primary email from user_email, the org
// unit, groupsync's externalId and a password (see passwordFor). A user
// that already carries groupsync's externalId for u.ID, however renamed,
// was created by groupsync and lost its ownership record: it is taken over
// (and unsuspended if opts.Active), with or without opts.Adopt. A 409 from
// the insert is resolved by reading the address: our externalId there
// means the same; any other user is adopted (and given our externalId)
// only with opts.Adopt, else the error wraps target.ErrConflict.
func (t *Target) CreateUser(ctx context.Context, u model.User, opts target.CreateOptions) (target.Created, error) {
	if u.ID == "" {
		return target.Created{}, errors.New("workspace: user has no source ID")
	}
	email, err := t.userAddress(u)
	if err != nil {
		return target.Created{}, fmt.Errorf("workspace: %w", err)
	}
	found, err := t.findUser(ctx, u.ID)
	if err != nil {
		return target.Created{}, fmt.Errorf("workspace: look up user %s: %w", email, err)
	}
	if found != nil {
		return t.takeUser(ctx, found, u.ID, opts)
	}
	pw := passwordFor(u.PasswordHash)
	nu := &admin.User{
		PrimaryEmail:              email,
		Name:                      names(u, email),
		OrgUnitPath:               t.orgUnit,
		Suspended:                 !opts.Active,
		ExternalIds:               []externalID{ours(u.ID)},
		Password:                  pw.value,
		HashFunction:              pw.hashFunction,
		ChangePasswordAtNextLogin: pw.change,
	}
	created, err := t.svc.Users.Insert(nu).Fields("id").Context(ctx).Do()
	if statusOf(err) == http.StatusConflict {
		return t.resolveUserConflict(ctx, email, u.ID, opts, err)
	}
	if err != nil {
		return target.Created{}, fmt.Errorf("workspace: create user %s: %w", email, err)
	}
	c := target.Created{ID: created.Id}
	if pw.note != "" {
		c.Note = fmt.Sprintf("user %s: a random password that must be changed at first sign-in (%s)", email, pw.note)
	}
	return c, nil
}

// resolveUserConflict reads the user holding email after a 409.
func (t *Target) resolveUserConflict(ctx context.Context, email, sourceID string, opts target.CreateOptions, conflict error) (target.Created, error) {
	existing, err := t.svc.Users.Get(email).Fields(userFields).Context(ctx).Do()
	if err != nil {
		// A group, or an alias of another user's, may hold the address.
		return target.Created{}, fmt.Errorf("workspace: create user %s: %w; reading it: %w: %w", email, conflict, err, target.ErrConflict)
	}
	if !isOurs(existing, sourceID) && !opts.Adopt {
		return target.Created{}, fmt.Errorf("workspace: user %s exists as %s: %w", email, existing.Id, target.ErrConflict)
	}
	return t.takeUser(ctx, existing, sourceID, opts)
}

// takeUser takes an existing user as groupsync's: taken over when it
// carries our externalId (unsuspended if the rule wants it active),
// adopted otherwise, when it gets our externalId so that it is found again
// after a rename.
func (t *Target) takeUser(ctx context.Context, u *admin.User, sourceID string, opts target.CreateOptions) (target.Created, error) {
	var patch *admin.User
	mine := isOurs(u, sourceID)
	switch {
	case !mine:
		patch = &admin.User{ExternalIds: append(externalIDs(u), ours(sourceID))}
	case u.Suspended && opts.Active:
		patch = &admin.User{Suspended: false, ForceSendFields: []string{"Suspended"}}
	}
	if patch != nil {
		if _, err := t.svc.Users.Patch(u.Id, patch).Fields("id").Context(ctx).Do(); err != nil {
			return target.Created{}, fmt.Errorf("workspace: take user %s: %w", u.PrimaryEmail, notFound(err))
		}
	}
	return target.Created{ID: u.Id, Adopted: !mine, TakenOver: mine}, nil
}

// findUser returns the user carrying groupsync's externalId for sourceID,
// or nil.
func (t *Target) findUser(ctx context.Context, sourceID string) (*admin.User, error) {
	q := sourceID
	if strings.ContainsAny(q, " '\\") {
		q = "'" + strings.ReplaceAll(strings.ReplaceAll(q, `\`, `\\`), "'", `\'`) + "'"
	}
	var found *admin.User
	err := t.svc.Users.List().Customer(t.customer).Query("externalId:"+q).MaxResults(100).
		Fields("nextPageToken,users("+userFields+")").Context(ctx).
		Pages(ctx, func(page *admin.Users) error {
			for _, u := range page.Users {
				if found == nil && isOurs(u, sourceID) {
					found = u
				}
			}
			return nil
		})
	return found, err
}

// UpdateUser rewrites the primary email (a rename keeps the user and its
// old address as an alias), the names and suspended = u.Suspended. The
// password and org unit are left alone.
func (t *Target) UpdateUser(ctx context.Context, id string, u model.User) error {
	if id == "" {
		return errors.New("workspace: update user: empty id")
	}
	email, err := t.userAddress(u)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	patch := &admin.User{
		PrimaryEmail:    email,
		Name:            names(u, email),
		Suspended:       u.Suspended,
		ForceSendFields: []string{"Suspended"},
	}
	if _, err := t.svc.Users.Patch(id, patch).Fields("id").Context(ctx).Do(); err != nil {
		if statusOf(err) == http.StatusConflict {
			err = fmt.Errorf("%w: %w", target.ErrConflict, err)
		}
		return fmt.Errorf("workspace: update user %s (%s): %w", id, email, notFound(err))
	}
	return nil
}

// DisableUser suspends the user: deprovisioning keeps the account and its
// data, as the default `deprovision: disable` promises.
func (t *Target) DisableUser(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("workspace: disable user: empty id")
	}
	if _, err := t.svc.Users.Patch(id, &admin.User{Suspended: true}).Fields("id").Context(ctx).Do(); err != nil {
		return fmt.Errorf("workspace: suspend user %s: %w", id, notFound(err))
	}
	return nil
}

// DeleteUser deletes the user; only `deprovision: delete` calls it. A user
// already gone is done.
func (t *Target) DeleteUser(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("workspace: delete user: empty id")
	}
	if err := t.svc.Users.Delete(id).Context(ctx).Do(); err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("workspace: delete user %s: %w", id, err)
	}
	return nil
}
