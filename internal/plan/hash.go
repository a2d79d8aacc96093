package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
)

// userState is what one Compute knows of one source user ID. Keeping it
// in one map makes a membership cost one map lookup, which matters at a
// million memberships.
type userState struct {
	// desired: a member of a desired group.
	desired bool
	// email is the first address a member listing gave (labels, minimal
	// user records).
	email string
	// hash memoises model.UserHash of d.Users[id] (hashed says it is set;
	// known says d.Users has the ID).
	hash          string
	hashed, known bool
	// creating: Plan.CreateUsers has the user.
	creating bool
}

func (c *computer) user(id string) *userState {
	st := c.byID[id]
	if st == nil {
		st = &userState{}
		c.byID[id] = st
	}
	return st
}

func (c *computer) desired(id string) bool {
	st := c.byID[id]
	return st != nil && st.desired
}

func (c *computer) listedEmail(id string) string {
	if st := c.byID[id]; st != nil {
		return st.email
	}
	return ""
}

// sortedMembers returns a listing's members sorted by ID without
// duplicates or empty IDs, each with the first non-empty email the
// listing gave it: model.Membership.MemberIDs plus the emails, without a
// map per group.
func sortedMembers(ms []model.Member) []model.Member {
	out := make([]model.Member, 0, len(ms))
	for _, m := range ms {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Member) int { return strings.Compare(a.ID, b.ID) })
	w := 0
	for _, m := range out {
		if w > 0 && out[w-1].ID == m.ID {
			if out[w-1].Email == "" {
				out[w-1].Email = m.Email
			}
			continue
		}
		out[w] = m
		w++
	}
	return out[:w]
}

// userHash is model.UserHash of d.Users[id], computed once per Compute: a
// user in many groups is hashed once, not once per group.
func (c *computer) userHash(id string) (string, bool) {
	st := c.user(id)
	if !st.hashed {
		u, ok := c.d.Users[id]
		st.hashed, st.known = true, ok
		if ok {
			st.hash = model.UserHash(u)
		}
	}
	return st.hash, st.known
}

// groupHash equals model.GroupHash(g, ids, c.d.Users) for sorted ids (a
// test holds them equal), with the members' hashes memoised.
func (c *computer) groupHash(g model.GroupInfo, ids []string) string {
	// One contiguous buffer, hashed once, reused across groups.
	buf := c.hashBuf[:0]
	write := func(s string) { buf = append(append(buf, s...), 0) }
	write(g.ID)
	write(model.NormalizeEmail(g.Email))
	write(g.Name)
	for _, id := range ids {
		if uh, ok := c.userHash(id); ok {
			write(uh)
		} else {
			write(id)
		}
	}
	c.hashBuf = buf
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// currentHash is model.UserHash(u) for u = d.Users[id] with its ID filled
// in, from the memo when the record carries its ID.
func (c *computer) currentHash(id string, u model.User) string {
	if c.d.Users[id].ID == id {
		h, _ := c.userHash(id)
		return h
	}
	return model.UserHash(u)
}
