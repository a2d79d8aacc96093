package workspace

// Reset drops the cached group listings and user sweep, so the next read
// sees the directory as it is now. The engine calls it at the start of each
// run: a long-lived process (groupsync serve, a warm Cloud Functions
// instance) would otherwise reuse one run's reads in the next.
func (s *Source) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listings = map[string]*listing{}
	s.users = nil
}
