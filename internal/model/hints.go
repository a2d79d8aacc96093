package model

import "time"

// Hints are what a directory's audit log says changed in a window: the
// groups and users its events name, by email (lower case) or ID. A hinted
// run re-reads only these; everything else is as the last run left it.
type Hints struct {
	Groups []string `json:"groups,omitempty"`
	Users  []string `json:"users,omitempty"`
	// Until is the end of the window read: the next poll starts there,
	// less the audit lag overlap.
	Until time.Time `json:"until"`
	// Full is set when an event makes hints unsafe to rely on (a group
	// deleted, a nesting change): the run must read everything.
	Full   bool   `json:"full,omitempty"`
	Reason string `json:"reason,omitempty"`
}
