package ldap_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	goldapmsg "github.com/lor00x/goldap/message"
	ldapserver "github.com/vjeantet/ldapserver"
)

// adFake is an Active Directory stand-in built on a real LDAP server
// library (vjeantet/ldapserver): slapd cannot answer AD's ranged
// retrieval (member;range=0-1499), so that is tested here. It serves users
// and groups under dc=ad,dc=test. (Its message parser cannot read
// extensible-match filters, so the in-chain rule is not served.)
type adFake struct {
	addr string

	mu sync.Mutex
	// failRange makes the continuation of a ranged read starting at this
	// value fail (0: never).
	failRange int
	ranges    []string // continuation requests seen
	groups    map[string]*adGroup
	users     []adUser
}

type adUser struct{ dn, guid, upn string }

type adGroup struct {
	dn, cn  string
	guid    string
	members []string
}

const adBase = "dc=ad,dc=test"

// adRangeSize is AD's default MaxValRange.
const adRangeSize = 1500

func startADFake(t *testing.T, users int) *adFake {
	t.Helper()
	f := &adFake{groups: map[string]*adGroup{}}
	for i := range users {
		f.users = append(f.users, adUser{
			dn:   fmt.Sprintf("cn=u%04d,ou=users,%s", i, adBase),
			guid: string(guidBytes(i)),
			upn:  fmt.Sprintf("u%04d@ad.test", i),
		})
	}
	ldapserver.Logger = log.New(io.Discard, "", 0)
	srv := ldapserver.NewServer()
	mux := ldapserver.NewRouteMux()
	mux.Bind(func(w ldapserver.ResponseWriter, m *ldapserver.Message) {
		w.Write(ldapserver.NewBindResponse(ldapserver.LDAPResultSuccess))
	})
	mux.Search(f.search)
	srv.Handle(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	l.Close()
	go srv.ListenAndServe(f.addr)
	t.Cleanup(srv.Stop)
	for range 100 {
		if c, err := net.Dial("tcp", f.addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f
}

// guidBytes is user i's objectGUID on the wire.
func guidBytes(i int) []byte {
	b := make([]byte, 16)
	b[0], b[1], b[15] = byte(i), byte(i>>8), 0xAD
	return b
}

func (f *adFake) addGroup(cn string, guid int, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dn := "cn=" + cn + ",ou=groups," + adBase
	f.groups[strings.ToLower(dn)] = &adGroup{dn: dn, cn: cn, guid: string(guidBytes(0x8000 + guid)), members: members}
}

func (f *adFake) search(w ldapserver.ResponseWriter, m *ldapserver.Message) {
	r := m.GetSearchRequest()
	base := strings.ToLower(string(r.BaseObject()))
	filter := strings.ToLower(fmt.Sprint(r.Filter()))
	var attrs []string
	for _, a := range r.Attributes() {
		attrs = append(attrs, strings.ToLower(string(a)))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	done := func(code int) { w.Write(ldapserver.NewSearchResultDoneResponse(code)) }
	switch {
	case r.Scope() == 0 && f.groups[base] != nil: // a ranged read of one group
		g := f.groups[base]
		for _, a := range attrs {
			var lo int
			if _, err := fmt.Sscanf(a, "member;range=%d-*", &lo); err != nil {
				continue
			}
			f.ranges = append(f.ranges, a)
			if lo == f.failRange {
				done(ldapserver.LDAPResultBusy)
				return
			}
			e := ldapserver.NewSearchResultEntry(g.dn)
			name, vals := rangeOf(g.members, lo)
			e.AddAttribute(goldapmsg.AttributeDescription(name), vals...)
			w.Write(e)
		}
		done(ldapserver.LDAPResultSuccess)
	case r.Scope() == 0 && base == adBase:
		w.Write(ldapserver.NewSearchResultEntry(adBase))
		done(ldapserver.LDAPResultSuccess)
	case strings.Contains(filter, "group"):
		for _, g := range f.groups {
			e := ldapserver.NewSearchResultEntry(g.dn)
			e.AddAttribute("objectClass", "top", "group")
			e.AddAttribute("cn", goldapmsg.AttributeValue(g.cn))
			e.AddAttribute("objectGUID", goldapmsg.AttributeValue(g.guid))
			name, vals := rangeOf(g.members, 0)
			if len(g.members) <= adRangeSize {
				name = "member"
			}
			e.AddAttribute(goldapmsg.AttributeDescription(name), vals...)
			w.Write(e)
		}
		done(ldapserver.LDAPResultSuccess)
	default:
		for _, u := range f.users {
			e := ldapserver.NewSearchResultEntry(u.dn)
			e.AddAttribute("objectClass", "top", "person", "user")
			e.AddAttribute("objectGUID", goldapmsg.AttributeValue(u.guid))
			e.AddAttribute("userPrincipalName", goldapmsg.AttributeValue(u.upn))
			e.AddAttribute("userAccountControl", "512")
			w.Write(e)
		}
		done(ldapserver.LDAPResultSuccess)
	}
}

// rangeOf is AD's answer to member;range=lo-*: at most adRangeSize values,
// named with the range they cover ("*" for the last).
func rangeOf(members []string, lo int) (string, []goldapmsg.AttributeValue) {
	hi := min(lo+adRangeSize, len(members))
	var vals []goldapmsg.AttributeValue
	for _, m := range members[lo:hi] {
		vals = append(vals, goldapmsg.AttributeValue(m))
	}
	if hi == len(members) {
		return fmt.Sprintf("member;range=%d-*", lo), vals
	}
	return fmt.Sprintf("member;range=%d-%d", lo, hi-1), vals
}
