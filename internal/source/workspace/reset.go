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

// DropListings drops the cached group listings, keeping the user sweep:
// the engine calls it once a run's reads are staged, so that a large
// directory's listings do not stay in memory while the run applies.
func (s *Source) DropListings() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listings = map[string]*listing{}
}
