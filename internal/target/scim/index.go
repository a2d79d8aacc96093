package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// An index holds one kind of the target's existing objects (users or
// groups), read once per job in pages, so that a run with many creates
// looks each one up in memory instead of with two filtered GETs. It is
// only a shortcut: an object created by someone else after the index was
// read makes the POST answer 409, which is resolved by the filtered
// lookup as before.
type index struct {
	// mu guards the fields below; building holds it, so the creates of a
	// worker pool wait for one read of the listing instead of each
	// starting their own.
	mu sync.Mutex
	// expect is the most creates of this kind a job has announced.
	expect int
	// state is indexNone until a build was tried.
	state  indexState
	byName map[string]string // lower-case userName or displayName → ID
	byExt  map[string]string // externalId → ID
}

type indexState int

const (
	indexNone indexState = iota
	indexReady
	// indexDeclined: the listing costs more requests than the lookups it
	// would save, or could not be read; creates look up one by one.
	indexDeclined
)

// indexKind says how to read one kind of object into an index.
type indexKind struct {
	path  string
	attrs string
	name  func(raw json.RawMessage) (id, name, ext string, err error)
}

var (
	userIndex = indexKind{path: "/Users", attrs: "id,userName,externalId", name: func(raw json.RawMessage) (string, string, string, error) {
		var u user
		err := json.Unmarshal(raw, &u)
		return u.ID, u.UserName, u.ExternalID, err
	}}
	groupIndex = indexKind{path: "/Groups", attrs: "id,displayName,externalId", name: func(raw json.RawMessage) (string, string, string, error) {
		var g group
		err := json.Unmarshal(raw, &g)
		return g.ID, g.DisplayName, g.ExternalID, err
	}}
)

// lookupsPerCreate is what a create costs in GETs without an index: one
// by name and one by externalId (two by name where the name has upper
// case). An index pays for itself when its pages cost fewer.
const lookupsPerCreate = 2

// ExpectCreates tells the target how many objects of kind ("user" or
// "group") the current job is about to create. With that many creates
// ahead, the target reads its existing objects of that kind once, in
// pages, when that costs fewer requests than looking each create up. The
// announcement holds until Reset.
func (t *Target) ExpectCreates(kind string, n int) {
	ix := t.indexOf(kind)
	if ix == nil {
		return
	}
	ix.mu.Lock()
	ix.expect = max(ix.expect, n)
	ix.mu.Unlock()
}

// Reset forgets the indexes, so that the next job reads the target afresh.
// The engine calls it when a process starts work on another job.
func (t *Target) Reset() {
	for _, ix := range []*index{&t.users, &t.groups} {
		ix.mu.Lock()
		ix.expect, ix.state, ix.byName, ix.byExt = 0, indexNone, nil, nil
		ix.mu.Unlock()
	}
}

func (t *Target) indexOf(kind string) *index {
	switch kind {
	case "user":
		return &t.users
	case "group":
		return &t.groups
	}
	return nil
}

// indexed looks an object up in the kind's index, building it first when
// the job announced enough creates. ok is false when there is no index to
// ask: the caller then looks the object up on the server.
func (t *Target) indexed(ctx context.Context, ix *index, k indexKind, name, sourceID string) (f found, ok bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.state == indexNone && ix.expect > 0 {
		if err := t.buildIndex(ctx, ix, k); err != nil {
			// Not fatal: the lookups still work, and say why if not.
			t.logger.WarnContext(ctx, "reading the existing objects failed; looking creates up one by one", "path", k.path, "err", err.Error())
			ix.state = indexDeclined
		}
	}
	if ix.state != indexReady {
		return found{}, false
	}
	if id, ok := ix.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return found{id: id, ours: ix.byExt[sourceID] == id}, true
	}
	if id, ok := ix.byExt[sourceID]; ok {
		return found{id: id, ours: true}, true
	}
	return found{}, true
}

// remember adds an object this target created to the index, so a second
// create of it in the same job finds it.
func (ix *index) remember(id, name, sourceID string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.state != indexReady || id == "" {
		return
	}
	ix.byName[strings.ToLower(strings.TrimSpace(name))] = id
	ix.byExt[sourceID] = id
}

// buildIndex reads the kind's objects in pages. It stops after the first
// page when the listing would cost more requests than the announced
// creates would spend on lookups.
func (t *Target) buildIndex(ctx context.Context, ix *index, k indexKind) error {
	caps, err := t.capabilities(ctx)
	if err != nil {
		return err
	}
	byName, byExt := map[string]string{}, map[string]string{}
	budget := lookupsPerCreate * ix.expect
	pages := 0
	errDeclined := fmt.Errorf("declined")
	extra := url.Values{"attributes": {k.attrs}}
	err = t.listPages(ctx, k.path, "", extra, func(total int) error {
		pages++
		if total >= 0 && pages == 1 && (total+caps.maxResults-1)/caps.maxResults > budget {
			return errDeclined
		}
		return nil
	}, func(raw json.RawMessage) error {
		id, name, ext, err := k.name(raw)
		if err != nil {
			return fmt.Errorf("scim: decode %s: %w", k.path, err)
		}
		if id == "" {
			return nil
		}
		byName[strings.ToLower(strings.TrimSpace(name))] = id
		if ext != "" {
			byExt[ext] = id
		}
		return nil
	})
	if err == errDeclined {
		t.logger.DebugContext(ctx, "listing the existing objects costs more than looking creates up", "path", k.path, "creates", ix.expect)
		ix.state = indexDeclined
		return nil
	}
	if err != nil {
		return err
	}
	ix.byName, ix.byExt, ix.state = byName, byExt, indexReady
	t.logger.DebugContext(ctx, "indexed the existing objects", "path", k.path, "objects", len(byExt), "pages", pages)
	return nil
}
