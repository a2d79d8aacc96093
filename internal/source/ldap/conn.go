package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Stages of a connection, named in errors so that an operator knows which
// layer failed.
const (
	StageDNS    = "DNS"
	StageTCP    = "TCP"
	StageTLS    = "TLS"
	StageBind   = "bind"
	StageFilter = "filter"
	StageSearch = "search"
)

// StageError is a failure at one stage of connecting or reading.
type StageError struct {
	Stage string
	Msg   string
	Err   error
}

func (e *StageError) Error() string { return "ldap: " + e.Stage + ": " + e.Msg }
func (e *StageError) Unwrap() error { return e.Err }

const maxIdle = 4

// conn takes an idle bound connection or dials a new one. A connection is
// closed when ctx ends, which aborts its pending operations.
func (s *Source) conn(ctx context.Context) (c *ldap.Conn, release func(), err error) {
	s.poolMu.Lock()
	for len(s.idle) > 0 && c == nil {
		c = s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if c.IsClosing() {
			c = nil
		}
	}
	s.poolMu.Unlock()
	if c == nil {
		if c, err = s.dial(ctx); err != nil {
			return nil, nil, err
		}
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return c, func() {
		if !stop() || c.IsClosing() {
			c.Close()
			return
		}
		s.poolMu.Lock()
		defer s.poolMu.Unlock()
		if len(s.idle) < maxIdle {
			s.idle = append(s.idle, c)
			return
		}
		c.Close()
	}, nil
}

// dial connects, secures and binds one connection, step by step, so that
// each failure is a StageError naming its layer.
func (s *Source) dial(ctx context.Context) (*ldap.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	if net.ParseIP(s.host) == nil {
		if _, err := net.DefaultResolver.LookupHost(ctx, s.host); err != nil {
			return nil, &StageError{StageDNS, fmt.Sprintf("cannot resolve %s: %v", s.host, err), err}
		}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, &StageError{StageTCP, fmt.Sprintf("cannot connect to %s: %v", s.addr, opReason(err)), err}
	}
	isTLS := s.tls != nil && !s.cfg.StartTLS
	if isTLS {
		tc := tls.Client(nc, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, &StageError{StageTLS, fmt.Sprintf("handshake with %s failed: %v", s.addr, opReason(err)), err}
		}
		nc = tc
	}
	c := ldap.NewConn(nc, isTLS)
	c.Start()
	c.SetTimeout(s.cfg.ConnectTimeout)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if s.cfg.StartTLS {
		if err := c.StartTLS(s.tls); err != nil {
			c.Close()
			var le *ldap.Error
			if errors.As(err, &le) && le.ResultCode != ldap.ErrorNetwork {
				return nil, &StageError{StageTLS, fmt.Sprintf("%s refused StartTLS: %s", s.addr, ldapReason(err)), err}
			}
			return nil, &StageError{StageTLS, fmt.Sprintf("StartTLS with %s failed: %s", s.addr, ldapReason(err)), err}
		}
	}
	if s.cfg.BindDN != "" {
		if err := c.Bind(s.cfg.BindDN, s.cfg.Password); err != nil {
			c.Close()
			msg := fmt.Sprintf("bind as %q failed: %s", s.cfg.BindDN, ldapReason(err))
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				msg = fmt.Sprintf("bind as %q refused: invalid credentials (wrong DN or password)", s.cfg.BindDN)
			}
			return nil, &StageError{StageBind, msg, err}
		}
	}
	if ctx.Err() != nil {
		c.Close()
		return nil, &StageError{StageTCP, fmt.Sprintf("connecting to %s took longer than %v", s.addr, s.cfg.ConnectTimeout), ctx.Err()}
	}
	c.SetTimeout(s.cfg.Timeout)
	return c, nil
}

// opReason drops the "dial tcp ADDR:" preamble the caller already says.
func opReason(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// ldapReason is an LDAP error as "CODE NAME: diagnostic".
func ldapReason(err error) string {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return err.Error()
	}
	if le.ResultCode == ldap.ErrorNetwork {
		return strings.TrimPrefix(le.Err.Error(), "ldap: ")
	}
	msg := fmt.Sprintf("result %d %s", le.ResultCode, ldap.LDAPResultCodeMap[le.ResultCode])
	if le.Err != nil && le.Err.Error() != "" {
		msg += ": " + le.Err.Error()
	}
	return msg
}

// page is one paged search's outcome.
type page struct {
	pages     int
	referrals []string
}

// search runs a paged search (RFC 2696), calling each for every entry. On
// an error, the entries of the pages read before it have been delivered.
func (s *Source) search(ctx context.Context, c *ldap.Conn, base string, scope int, filter string, attrs []string, each func(*ldap.Entry)) (page, error) {
	var out page
	ctrl := ldap.NewControlPaging(uint32(s.cfg.PageSize))
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, []ldap.Control{ctrl})
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		s.searches.Add(1)
		res, err := c.Search(req)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			return out, fmt.Errorf("page %d of %s under %s: %w", out.pages+1, filter, base, err)
		}
		out.pages++
		for _, e := range res.Entries {
			each(e)
		}
		out.referrals = append(out.referrals, res.Referrals...)
		pc, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(pc.Cookie) == 0 {
			return out, nil
		}
		ctrl.SetCookie(pc.Cookie)
	}
}

// read is one base-scope search that needs no paging.
func (s *Source) read(c *ldap.Conn, dn string, attrs []string) (*ldap.Entry, error) {
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", attrs, nil)
	s.searches.Add(1)
	res, err := c.Search(req)
	if err != nil {
		return nil, err
	}
	if len(res.Entries) == 0 {
		if len(res.Referrals) > 0 {
			return nil, ldap.NewError(ldap.LDAPResultReferral, fmt.Errorf("referred to %s", strings.Join(res.Referrals, " ")))
		}
		return nil, ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("no entry"))
	}
	return res.Entries[0], nil
}
