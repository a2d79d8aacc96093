package plan

import (
	"fmt"
	"strings"
)

// maxNoted is how many users a Skipped note names before it summarizes.
const maxNoted = 10

// note says that a change was not made to ids and why, naming users by ID
// and email so that a report reader can recognize them.
func (c *computer) note(verb string, ids []string, why string) string {
	var b strings.Builder
	b.WriteString(verb)
	for i, id := range ids {
		if i == maxNoted {
			fmt.Fprintf(&b, " and %d more", len(ids)-maxNoted)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(id)
		if e := c.email(id); e != "" {
			fmt.Fprintf(&b, " (%s)", e)
		}
	}
	b.WriteString(": ")
	b.WriteString(why)
	return b.String()
}

// email is the best known address of a user: the directory's, the member
// listing's, or the one last written to the target.
func (c *computer) email(id string) string {
	if u, ok := c.d.Users[id]; ok && u.Email != "" {
		return u.Email
	}
	if e := c.listedEmail(id); e != "" {
		return e
	}
	return c.a.Users[id].Email
}
