package scimtest

import "net/http"

// Unreliable is the profile of a strict third-party server having a bad
// day: it does not support filters on members.value and answers them (and
// any other filter it does not support) with 200 and no results, and every
// group PATCH fails with 503 without being applied until
// SetGroupPatchStatus(0). Its group GET returns no members, as AWS does,
// so no read can show whether a membership change took effect.
func Unreliable() Options {
	return Options{EmptyUnsupportedFilter: true, GroupPatchStatus: http.StatusServiceUnavailable}
}

// SetGroupPatchStatus makes every group PATCH fail with status, unapplied;
// 0 lets them through again.
func (s *Server) SetGroupPatchStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.GroupPatchStatus = status
}

func filtersMembers(cs []clause) bool {
	for _, c := range cs {
		if c.attr == "members.value" {
			return true
		}
	}
	return false
}
