package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
)

// userState is what one Compute knows of one source user ID. Keeping it
// in one slice, indexed by the interned ID, makes a membership cost one
// map lookup, which matters at a million memberships.
type userState struct {
	id string
	// desired: a member of a desired group.
	desired bool
	// email is the first address a member listing gave (labels, minimal
	// user records).
	email string
	// hashed says hashes holds the user's hash, or known is false:
	// d.Users lacks the ID.
	hashed, known bool
	// creating: Plan.CreateUsers has the user.
	creating bool
}

// userHashLen is the length of model.UserHash: hex SHA-256.
const userHashLen = 64

// intern returns id's index in c.states, adding it on first sight.
func (c *computer) intern(id string) int32 {
	if i, ok := c.idx[id]; ok {
		return i
	}
	i := int32(len(c.states))
	c.idx[id] = i
	c.states = append(c.states, userState{id: id})
	return i
}

// lookup returns id's state, or nil when this plan has not met id.
func (c *computer) lookup(id string) *userState {
	if i, ok := c.idx[id]; ok {
		return &c.states[i]
	}
	return nil
}

func (c *computer) desired(id string) bool {
	st := c.lookup(id)
	return st != nil && st.desired
}

func (c *computer) listedEmail(id string) string {
	if st := c.lookup(id); st != nil {
		return st.email
	}
	return ""
}

// owned returns a.Users's source IDs, sorted, computed once.
func (c *computer) owned() []string {
	if c.ownedIDs == nil {
		c.ownedIDs = sortedKeys(c.a.Users)
	}
	return c.ownedIDs
}

// sortedMembers returns a listing's members sorted by ID without
// duplicates or empty IDs, each with the first non-empty email the
// listing gave it: model.Membership.MemberIDs plus the emails, without a
// map per group. The result lives in a buffer the next call reuses.
func (c *computer) sortedMembers(ms []model.Member) []model.Member {
	out := c.memBuf[:0]
	for _, m := range ms {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	c.memBuf = out
	cmp := func(a, b model.Member) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(out, cmp) {
		slices.SortStableFunc(out, cmp)
	}
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

// userHash returns model.UserHash of d.Users for the interned user i,
// computed once per Compute and kept in the hashes arena: a user in many
// groups is hashed once, not once per group. ok is false when d.Users
// lacks the user.
func (c *computer) userHash(i int32) (h []byte, ok bool) {
	st := &c.states[i]
	if !st.hashed {
		st.hashed = true
		u, known := c.d.Users[st.id]
		st.known = known
		if known {
			if need := userHashLen * (int(i) + 1); len(c.hashes) < need {
				// Grow to cover every user met so far, at least doubling.
				size := max(userHashLen*cap(c.states), 2*len(c.hashes), need)
				c.hashes = append(c.hashes, make([]byte, size-len(c.hashes))...)
			}
			model.AppendUserHash(c.hashes[userHashLen*int(i):userHashLen*int(i)], u)
		}
	}
	if !st.known {
		return nil, false
	}
	off := userHashLen * int(i)
	return c.hashes[off : off+userHashLen], true
}

// groupHash equals model.GroupHash(g, ids, c.d.Users) for the sorted,
// interned ids (a test holds them equal), with the members' hashes
// memoised.
func (c *computer) groupHash(g model.GroupInfo, ix []int32) string {
	// One contiguous buffer, hashed once, reused across groups.
	buf := c.hashBuf[:0]
	write := func(s string) { buf = append(append(buf, s...), 0) }
	write(g.ID)
	write(model.NormalizeEmail(g.Email))
	write(g.Name)
	for _, i := range ix {
		if uh, ok := c.userHash(i); ok {
			buf = append(append(buf, uh...), 0)
		} else {
			write(c.states[i].id)
		}
	}
	c.hashBuf = buf
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// hashIs reports whether model.UserHash(u) is want, for u = d.Users[id]
// with its ID filled in, from the memo when the record carried its ID.
func (c *computer) hashIs(id string, u model.User, memo bool, want string) bool {
	if memo {
		h, _ := c.userHash(c.intern(id))
		return string(h) == want
	}
	return model.UserHash(u) == want
}
