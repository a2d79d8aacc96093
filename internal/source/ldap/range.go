package ldap

import (
	"context"
	"fmt"
	"strings"
)

// members returns g's member DNs. Active Directory returns a large member
// attribute in ranges (member;range=0-1499); the rest is read here with
// base searches for member;range=N-* until a range ends in "*". On an
// error the values read so far are returned with it.
func (s *Source) members(ctx context.Context, g *group) ([]string, error) {
	if g.rangeNext < 0 {
		return g.dns, nil
	}
	dns := append([]string(nil), g.dns...)
	c, release, err := s.conn(ctx)
	if err != nil {
		return dns, err
	}
	defer release()
	for next := g.rangeNext; next >= 0; {
		attr := fmt.Sprintf("member;range=%d-*", next)
		e, err := s.read(c, g.dn, []string{attr})
		if err != nil {
			return dns, fmt.Errorf("read %s of %s: %w", attr, g.dn, err)
		}
		got := false
		for _, a := range e.Attributes {
			name := strings.ToLower(a.Name)
			if !strings.HasPrefix(name, "member;range=") {
				continue
			}
			got = true
			dns = append(dns, a.Values...)
			n := nextRange(name)
			if n >= 0 && n <= next {
				return dns, fmt.Errorf("read %s of %s: the server answered %s, which does not move on", attr, g.dn, a.Name)
			}
			next = n
		}
		if !got {
			return dns, fmt.Errorf("read %s of %s: the answer has no member range", attr, g.dn)
		}
	}
	return dns, nil
}
