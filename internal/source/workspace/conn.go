package workspace

import (
	"net/http"

	admin "google.golang.org/api/admin/directory/v1"
)

// scopes returns the delegated scopes to request.
func (c Config) scopes() []string {
	if len(c.Scopes) > 0 {
		return c.Scopes
	}
	return Scopes
}

// Directory returns the Source's Directory API client. The Workspace target
// writes through a Source built with read-write Scopes, so that it shares
// the credentials, the pacer of its admin subject and the retries.
func (s *Source) Directory() *admin.Service { return s.svc }

// HTTPClient returns the authenticated, paced and retrying client under
// Directory, for calls the generated client does not make (the batch
// endpoint).
func (s *Source) HTTPClient() *http.Client { return s.hc }
