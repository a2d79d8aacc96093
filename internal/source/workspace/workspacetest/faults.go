package workspacetest

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching requests fail. Faults are checked in the order they
// were injected; the first that matches answers the request and uses up
// one of its Times.
type Fault struct {
	// Endpoint is one of the Endpoint* constants; empty matches every
	// Directory API endpoint (groups, members, users).
	Endpoint string
	// Group limits a members fault to one group, by ID or email.
	Group string
	// Page limits the fault to the Nth page (1-based) of a listing; 0
	// matches every page.
	Page int
	// Status is the HTTP status to answer, e.g. 503.
	Status int
	// Reason is the error reason. Empty picks Google's usual reason for
	// the status (backendError for 5xx, rateLimitExceeded for 429,
	// userRateLimitExceeded for 403, unauthorized_client for a 401 on the
	// token endpoint).
	Reason string
	// RetryAfter, when set, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Times is how many requests fail; below 1 means every one.
	Times int
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ff := f
	s.faults = append(s.faults, &ff)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// UnauthorizedClientDescription is Google's description for a token
// request that domain-wide delegation does not allow.
const UnauthorizedClientDescription = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."

// RejectTokens makes the token endpoint refuse every request with 401
// unauthorized_client, as Google does when domain-wide delegation is not
// granted.
func (s *Server) RejectTokens() {
	s.Inject(Fault{Endpoint: EndpointToken, Status: http.StatusUnauthorized, Reason: "unauthorized_client"})
}

// fault answers the request if an injected fault matches.
func (s *Server) fault(w http.ResponseWriter, endpoint, group string, page int) bool {
	s.mu.Lock()
	var hit *Fault
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		if f.Endpoint == "" && (endpoint == EndpointToken || endpoint == EndpointSignJWT) {
			continue
		}
		if f.Group != "" && !s.sameGroup(f.Group, group) {
			continue
		}
		if f.Page != 0 && f.Page != page {
			continue
		}
		hit = f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		break
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	if hit.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(hit.RetryAfter.Seconds()))))
	}
	reason := hit.Reason
	if endpoint == EndpointToken {
		if reason == "" {
			reason = "unauthorized_client"
		}
		desc := "Injected fault."
		if reason == "unauthorized_client" {
			desc = UnauthorizedClientDescription
		}
		writeJSON(w, hit.Status, map[string]any{"error": reason, "error_description": desc})
		return true
	}
	domain := "global"
	switch {
	case reason != "":
	case hit.Status >= 500:
		reason = "backendError"
	case hit.Status == http.StatusTooManyRequests:
		reason = "rateLimitExceeded"
	case hit.Status == http.StatusForbidden:
		reason = "userRateLimitExceeded"
	default:
		reason = "invalid"
	}
	if strings.Contains(strings.ToLower(reason), "limitexceeded") || reason == "quotaExceeded" {
		domain = "usageLimits"
	}
	writeError(w, hit.Status, reason, domain, fmt.Sprintf("Injected fault: %s", reason))
	return true
}

// sameGroup reports whether key (ID or email) names the group that key2
// names. Called with s.mu held.
func (s *Server) sameGroup(key, key2 string) bool {
	if strings.EqualFold(key, key2) {
		return true
	}
	g := s.group(key)
	return g != nil && g == s.group(key2)
}

// overQuota records an API request and reports whether it exceeds the
// quota, with how long until a slot frees.
func (s *Server) overQuota() (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota <= 0 {
		return false, 0
	}
	now := s.now()
	cut := now.Add(-s.quotaWindow)
	i := 0
	for i < len(s.recent) && !s.recent[i].After(cut) {
		i++
	}
	s.recent = s.recent[i:]
	if len(s.recent) >= s.quota {
		s.rejected++
		return true, s.recent[0].Sub(cut)
	}
	s.recent = append(s.recent, now)
	return false, 0
}
