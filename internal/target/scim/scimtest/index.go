package scimtest

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The server is used at benchmark scale (100,000 users, 10,000 groups,
// over a million memberships), so that it must not scan every object on a
// create, a filter or a page of a listing: the indexes here are kept up to
// date on every write instead.

// foldKey maps s to a key that two strings share exactly when
// strings.EqualFold says they are equal: each rune becomes the smallest
// rune of its case-folding orbit (so "k", "K" and the Kelvin sign all
// become "K").
func foldKey(s string) string {
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// multiIndex maps a non-empty key to the IDs of the objects that have it.
// That is one ID where the server enforces uniqueness, but AddUser and
// AddGroup store what they are given unchecked. Empty keys are not
// indexed: most objects have no externalId, so that "" would hold them
// all; a lookup of "" scans instead.
type multiIndex map[string][]string

func (x multiIndex) add(key, id string) {
	if key != "" {
		x[key] = append(x[key], id)
	}
}

func (x multiIndex) remove(key, id string) {
	if key == "" {
		return
	}
	ids := slices.DeleteFunc(x[key], func(v string) bool { return v == id })
	if len(ids) == 0 {
		delete(x, key)
		return
	}
	x[key] = ids
}

// memberSet is a group's members in the order they were added, with
// constant-time lookup, add and remove. A removed member stays in order
// until compaction; an entry of order is live only where pos points at it.
type memberSet struct {
	order []string
	pos   map[string]int
}

func newMemberSet(ids []string) memberSet {
	m := memberSet{order: make([]string, 0, len(ids)), pos: make(map[string]int, len(ids))}
	for _, id := range ids {
		m.add(id)
	}
	return m
}

func (m *memberSet) has(id string) bool {
	_, ok := m.pos[id]
	return ok
}

// add adds id at the end unless it is a member already.
func (m *memberSet) add(id string) {
	if m.has(id) {
		return
	}
	if m.pos == nil {
		m.pos = make(map[string]int)
	}
	m.pos[id] = len(m.order)
	m.order = append(m.order, id)
}

func (m *memberSet) remove(id string) {
	if !m.has(id) {
		return
	}
	delete(m.pos, id)
	if len(m.order) > 32 && len(m.order) > 2*len(m.pos) {
		m.order = m.list()
		for i, v := range m.order {
			m.pos[v] = i
		}
	}
}

// list returns the members in the order they were added.
func (m *memberSet) list() []string {
	out := make([]string, 0, len(m.pos))
	for i, id := range m.order {
		if p, ok := m.pos[id]; ok && p == i {
			out = append(out, id)
		}
	}
	return out
}

func (m *memberSet) clone() memberSet {
	return newMemberSet(m.list())
}
