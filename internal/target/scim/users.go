package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// userPayload builds the strictest providers' user: userName, displayName,
// given and family names (AWS rejects a POST without them), one primary
// email and a boolean active.
func userPayload(u model.User, active bool) user {
	addr := strings.TrimSpace(u.Email)
	local := addr
	if i := strings.IndexByte(addr, '@'); i > 0 {
		local = addr[:i]
	}
	given := strings.TrimSpace(u.GivenName)
	family := strings.TrimSpace(u.FamilyName)
	if given == "" {
		given = local
	}
	if family == "" {
		family = local
	}
	display := strings.TrimSpace(u.DisplayName)
	if display == "" {
		display = strings.TrimSpace(strings.TrimSpace(u.GivenName) + " " + strings.TrimSpace(u.FamilyName))
	}
	if display == "" {
		display = local
	}
	return user{
		Schemas:     []string{schemaUser},
		ExternalID:  u.ID,
		UserName:    userName(u),
		DisplayName: display,
		Name:        &name{GivenName: given, FamilyName: family},
		Emails:      []email{{Value: addr, Type: "work", Primary: true}},
		Active:      flexBool(active),
	}
}

func validUser(u model.User) error {
	if u.ID == "" {
		return errors.New("scim: user has no source ID")
	}
	if strings.TrimSpace(u.Email) == "" {
		return fmt.Errorf("scim: user %s has no email", u.ID)
	}
	return nil
}

// CreateUser creates u, or finds it first by userName (compared
// case-insensitively) and then by externalId. An existing user whose
// externalId is u.ID is taken over (Created.TakenOver); any other is adopted
// when opts.Adopt, else the error wraps target.ErrConflict. A 409 from the
// create is resolved the same way by looking the user up again.
func (t *Target) CreateUser(ctx context.Context, u model.User, opts target.CreateOptions) (target.Created, error) {
	if err := validUser(u); err != nil {
		return target.Created{}, err
	}
	email := userName(u)
	lookup := func(ctx context.Context) (found, error) { return t.lookupUser(ctx, u) }
	c, err := t.create(ctx, "user", email, "/Users", t.userBody(ctx, u, opts.Active), t.firstLookup(&t.users, userIndex, email, u.ID, lookup), lookup, opts)
	if err == nil {
		t.users.remember(c.ID, email, u.ID)
	}
	return c, err
}

// firstLookup is how a create first looks its object up: in the job's
// index when there is one, else with lookup.
func (t *Target) firstLookup(ix *index, k indexKind, name, sourceID string, lookup func(context.Context) (found, error)) func(context.Context) (found, error) {
	return func(ctx context.Context) (found, error) {
		if f, ok := t.indexed(ctx, ix, k, name, sourceID); ok {
			return f, nil
		}
		return lookup(ctx)
	}
}

// found is an existing object a lookup turned up: its ID, and whether it
// carries the source ID as externalId.
type found struct {
	id   string
	ours bool
}

// adopt decides about an existing object: one that carries the source ID
// is groupsync's own (created before a crash lost its record); any other
// is a name clash, taken over only when the rule adopts.
func adopt(kind, key string, f found, opts target.CreateOptions) (target.Created, error) {
	switch {
	case f.ours:
		return target.Created{ID: f.id, TakenOver: true}, nil
	case !opts.Adopt:
		return target.Created{}, fmt.Errorf("scim: %s %s exists as %s: %w", kind, key, f.id, target.ErrConflict)
	}
	return target.Created{ID: f.id, Adopted: true}, nil
}

// create looks an object up with first before creating it, adopts or
// refuses what it finds, and resolves a 409 from the create by looking it
// up on the server: never by retrying the create blindly, as the object
// exists, maybe hidden from the filter (case, eventual consistency) or
// created after the index was read.
func (t *Target) create(ctx context.Context, kind, key, path string, body any, first, lookup func(context.Context) (found, error), opts target.CreateOptions) (target.Created, error) {
	existing, err := first(ctx)
	if err != nil {
		return target.Created{}, fmt.Errorf("scim: look up %s %s: %w", kind, key, err)
	}
	if existing.id != "" {
		return adopt(kind, key, existing, opts)
	}
	resp, err := t.do(ctx, request{method: http.MethodPost, path: path, body: body})
	if statusOf(err) == http.StatusConflict {
		return t.resolveConflict(ctx, kind, key, err, lookup, opts)
	}
	if err != nil {
		return target.Created{}, fmt.Errorf("scim: create %s %s: %w", kind, key, err)
	}
	var got struct {
		ID string `json:"id"`
	}
	if err := decode(resp, &got); err != nil {
		return target.Created{}, err
	}
	if got.ID == "" {
		return target.Created{}, fmt.Errorf("scim: create %s %s: response has no id", kind, key)
	}
	return target.Created{ID: got.ID}, nil
}

// lookupUser finds the user with u's userName or externalId.
func (t *Target) lookupUser(ctx context.Context, u model.User) (found, error) {
	email := userName(u)
	// userName is case-insensitive (RFC 7643 §4.1.1), but some servers
	// (scimmy) filter it case-sensitively: ask for the lower-case form
	// too, which is how directories store addresses.
	names := []string{email}
	if lower := strings.ToLower(email); lower != email {
		names = append(names, lower)
	}
	for _, name := range names {
		users, err := t.findUsers(ctx, eqFilter("userName", name))
		if err != nil {
			return found{}, err
		}
		// Check the answer: lenient servers ignore filters they do not know.
		for _, f := range users {
			if strings.EqualFold(strings.TrimSpace(f.UserName), email) && f.ID != "" {
				return found{id: f.ID, ours: f.ExternalID == u.ID}, nil
			}
		}
	}
	users, err := t.findUsers(ctx, eqFilter("externalId", u.ID))
	if statusOf(err) == http.StatusBadRequest {
		// A provider that cannot filter on externalId (one filter
		// attribute only) has answered the userName lookup already.
		t.logger.DebugContext(ctx, "externalId filter refused", "err", err.Error())
		return found{}, nil
	}
	if err != nil {
		return found{}, err
	}
	for _, f := range users {
		if f.ExternalID == u.ID && f.ID != "" {
			return found{id: f.ID, ours: true}, nil
		}
	}
	return found{}, nil
}

// UpdateUser rewrites the user's userName, names and email and sets active
// to !u.Suspended, by PATCH (or GET and PUT where the provider has no
// PATCH). The user keeps its ID. It wraps target.ErrNotFound if the user
// is gone.
func (t *Target) UpdateUser(ctx context.Context, id string, u model.User) error {
	if id == "" {
		return errors.New("scim: update user: empty id")
	}
	if err := validUser(u); err != nil {
		return err
	}
	p := userPayload(u, !u.Suspended)
	ops := []patchOp{
		{Op: "replace", Path: "userName", Value: p.UserName},
		{Op: "replace", Path: "displayName", Value: p.DisplayName},
		{Op: "replace", Path: "name.givenName", Value: p.Name.GivenName},
		{Op: "replace", Path: "name.familyName", Value: p.Name.FamilyName},
		{Op: "replace", Path: "emails", Value: p.Emails},
		{Op: "replace", Path: "active", Value: bool(p.Active)},
	}
	mops, mput := t.mappedOps(ctx, u)
	ops = append(ops, mops...)
	err := t.patchOrPut(ctx, "/Users/"+id, ops, func(r map[string]any) {
		mput(r)
		r["userName"] = p.UserName
		r["displayName"] = p.DisplayName
		n, _ := r["name"].(map[string]any)
		if n == nil {
			n = map[string]any{}
		}
		n["givenName"] = p.Name.GivenName
		n["familyName"] = p.Name.FamilyName
		r["name"] = n
		r["emails"] = p.Emails
		r["active"] = bool(p.Active)
	})
	if err != nil {
		return fmt.Errorf("scim: update user %s: %w", id, err)
	}
	return nil
}

// DisableUser sets active to false.
func (t *Target) DisableUser(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("scim: disable user: empty id")
	}
	err := t.patchOrPut(ctx, "/Users/"+id, []patchOp{{Op: "replace", Path: "active", Value: false}},
		func(r map[string]any) { r["active"] = false })
	if err != nil {
		return fmt.Errorf("scim: disable user %s: %w", id, err)
	}
	return nil
}

// DeleteUser deletes the user. A user that is already gone is done. Only
// the `deprovision: delete` policy calls it: DELETE is irreversible on some
// providers (GitHub).
func (t *Target) DeleteUser(ctx context.Context, id string) error {
	return t.delete(ctx, "user", "/Users/", id)
}

func (t *Target) delete(ctx context.Context, kind, prefix, id string) error {
	if id == "" {
		return fmt.Errorf("scim: delete %s: empty id", kind)
	}
	_, err := t.do(ctx, request{method: http.MethodDelete, path: prefix + id})
	if err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("scim: delete %s %s: %w", kind, id, err)
	}
	return nil
}

// patchOrPut applies ops by PATCH, or, where the provider has no PATCH,
// reads the resource, applies put to it and PUTs it back.
func (t *Target) patchOrPut(ctx context.Context, path string, ops []patchOp, put func(map[string]any)) error {
	caps, err := t.capabilities(ctx)
	if err != nil {
		return err
	}
	if caps.patch {
		err := t.patch(ctx, caps, path, ops)
		if s := statusOf(err); s != http.StatusMethodNotAllowed && s != http.StatusNotImplemented {
			return err
		}
		t.logger.WarnContext(ctx, "PATCH refused though advertised; using PUT", "path", path)
		t.mu.Lock()
		if t.caps != nil {
			t.caps.patch = false
		}
		t.mu.Unlock()
	}
	resp, err := t.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	var r map[string]any
	if err := decode(resp, &r); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("scim: GET %s: empty body", path)
	}
	put(r)
	delete(r, "meta")
	_, err = t.do(ctx, request{method: http.MethodPut, path: path, body: r, ifMatch: etagOf(caps, resp)})
	return err
}

// patch sends one PatchOp request, with If-Match where the provider
// supports ETags; a 412 (someone else wrote first) reads the version again.
func (t *Target) patch(ctx context.Context, caps capabilities, path string, ops []patchOp) error {
	for attempt := 0; ; attempt++ {
		ifMatch, err := t.version(ctx, caps, path)
		if err != nil {
			return err
		}
		_, err = t.do(ctx, request{method: http.MethodPatch, path: path, body: newPatch(ops...), ifMatch: ifMatch})
		if statusOf(err) != http.StatusPreconditionFailed || attempt >= 2 {
			return err
		}
	}
}

// version returns the If-Match value for path when the provider supports
// ETags, or "". It never fails a write for want of a version.
func (t *Target) version(ctx context.Context, caps capabilities, path string) (string, error) {
	if !caps.etag {
		return "", nil
	}
	resp, err := t.do(ctx, request{method: http.MethodGet, path: path, query: map[string][]string{"attributes": {"id"}}})
	if err != nil {
		return "", err
	}
	return etagOf(caps, resp), nil
}

func etagOf(caps capabilities, resp *response) string {
	if !caps.etag {
		// Express and others send ETags of the body whatever the
		// ServiceProviderConfig says; only trust an advertised one.
		return ""
	}
	if v := resp.header.Get("ETag"); v != "" {
		return v
	}
	var r struct {
		Meta meta `json:"meta"`
	}
	if json.Unmarshal(resp.body, &r) == nil {
		return r.Meta.Version
	}
	return ""
}
