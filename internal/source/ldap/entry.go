package ldap

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"github.com/groupsync/groupsync/internal/model"
)

// ADAccountDisable is userAccountControl's ACCOUNTDISABLE bit.
const ADAccountDisable = 0x2

// groupClasses are the object classes whose entries are groups, for member
// DNs that are outside the group sweep.
var groupClasses = []string{"groupofnames", "groupofuniquenames", "posixgroup", "group", "groupofurls"}

// normDN is a DN's comparison key: attribute types and values folded to
// lower case, so that "CN=Ann,DC=Example" and "cn=ann,dc=example" meet.
func normDN(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	rdns := make([]string, len(d.RDNs))
	for i, r := range d.RDNs {
		parts := make([]string, len(r.Attributes))
		for j, a := range r.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + strings.ToLower(a.Value)
		}
		slices.Sort(parts)
		rdns[i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ",")
}

// GUIDString renders a 16-byte Active Directory objectGUID in its canonical
// form: the first three fields are little-endian on the wire.
func GUIDString(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%x-%x",
		b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8:10], b[10:])
}

// first returns the first non-empty value among attrs.
func first(e *ldap.Entry, attrs []string) string {
	for _, a := range attrs {
		if v := strings.TrimSpace(e.GetEqualFoldAttributeValue(a)); v != "" {
			return v
		}
	}
	return ""
}

// entryID is an entry's immutable ID: objectGUID in canonical form, any
// other attribute as text (hex when it is not text).
func (s *Source) entryID(e *ldap.Entry) string {
	for _, a := range s.cfg.IDAttrs {
		raw := e.GetEqualFoldRawAttributeValue(a)
		switch {
		case len(raw) == 0:
			continue
		case strings.EqualFold(a, "objectGUID"):
			return GUIDString(raw)
		case utf8.Valid(raw):
			return strings.TrimSpace(string(raw))
		default:
			return hex.EncodeToString(raw)
		}
	}
	return ""
}

// disabled reads the disabled attribute: userAccountControl's
// ACCOUNTDISABLE bit, or any other attribute holding a value other than
// FALSE, 0 or no (a pwdAccountLockedTime, say).
func (s *Source) disabled(e *ldap.Entry) bool {
	for _, a := range s.cfg.DisabledAttrs {
		v := strings.TrimSpace(e.GetEqualFoldAttributeValue(a))
		if v == "" {
			continue
		}
		if strings.EqualFold(a, "userAccountControl") {
			n, err := strconv.ParseInt(v, 10, 64)
			return err == nil && n&ADAccountDisable != 0
		}
		switch strings.ToLower(v) {
		case "false", "0", "no":
			return false
		}
		return true
	}
	return false
}

func (s *Source) userAttrs() []string {
	c := s.cfg
	return slices.Concat(c.IDAttrs, c.EmailAttrs, c.GivenNameAttrs, c.FamilyNameAttrs, c.DisplayNameAttrs, c.DisabledAttrs, c.PasswordAttrs, []string{s.uidKey})
}

func (s *Source) user(e *ldap.Entry) model.User {
	return model.User{
		ID:          s.entryID(e),
		Email:       first(e, s.cfg.EmailAttrs),
		GivenName:   first(e, s.cfg.GivenNameAttrs),
		FamilyName:  first(e, s.cfg.FamilyNameAttrs),
		DisplayName: first(e, s.cfg.DisplayNameAttrs),
		Suspended:   s.disabled(e),
		// Never stored or logged (json:"-"); the engine asks for it
		// again when it creates the user (PasswordHash).
		PasswordHash: first(e, s.cfg.PasswordAttrs),
	}
}

// groupAttrs are read for every group: members of each flavour, AD's
// ranged member included (the server answers member;range=0-1499 itself).
func (s *Source) groupAttrs() []string {
	return slices.Concat(s.cfg.IDAttrs, []string{"cn", "mail", "description", "objectClass", "member", "uniqueMember", "memberUid"})
}

// group is a group entry with its direct members as the directory lists
// them: DNs (member, uniqueMember) and uids (posixGroup's memberUid).
type group struct {
	info model.GroupInfo
	dn   string
	dns  []string
	uids []string
	// rangeNext is where AD's ranged retrieval of member continues; -1
	// when every value has been read.
	rangeNext int
}

// parseGroup reads a group entry. A group without mail is known by its cn,
// which is what rules' group patterns then match.
func (s *Source) parseGroup(e *ldap.Entry) *group {
	g := &group{dn: e.DN, rangeNext: -1}
	name := e.GetEqualFoldAttributeValue("cn")
	email := e.GetEqualFoldAttributeValue("mail")
	if email == "" {
		email = name
	}
	g.info = model.GroupInfo{ID: s.entryID(e), Email: email, Name: name, Description: e.GetEqualFoldAttributeValue("description")}
	for _, a := range e.Attributes {
		switch name := strings.ToLower(a.Name); {
		case name == "member":
			g.dns = append(g.dns, a.Values...)
		case name == "uniquemember":
			for _, v := range a.Values {
				g.dns = append(g.dns, stripUID(v))
			}
		case name == "memberuid":
			g.uids = append(g.uids, a.Values...)
		case strings.HasPrefix(name, "member;range="):
			g.dns = append(g.dns, a.Values...)
			g.rangeNext = nextRange(name)
		}
	}
	return g
}

func isGroup(e *ldap.Entry) bool {
	for _, oc := range e.GetEqualFoldAttributeValues("objectClass") {
		if slices.Contains(groupClasses, strings.ToLower(oc)) {
			return true
		}
	}
	return false
}

// stripUID drops the optional "#'0101'B" unique identifier of a
// uniqueMember value (RFC 4517 NameAndOptionalUID).
func stripUID(v string) string {
	if i := strings.LastIndex(v, "#'"); i > 0 && strings.HasSuffix(v, "'B") {
		return v[:i]
	}
	return v
}

// nextRange reads "member;range=LO-HI": the next range starts at HI+1, and
// HI "*" means this was the last. A range it cannot read returns 0, so the
// caller asks again from the start rather than miss values.
func nextRange(attr string) int {
	_, r, _ := strings.Cut(attr, "range=")
	_, hi, ok := strings.Cut(r, "-")
	if !ok {
		return 0
	}
	if hi == "*" {
		return -1
	}
	n, err := strconv.Atoi(hi)
	if err != nil {
		return 0
	}
	return n + 1
}
