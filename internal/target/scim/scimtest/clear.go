package scimtest

// ClearFaults drops every fault that Fail queued and no request used yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}
