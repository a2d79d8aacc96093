package chaos

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// stats counts faults injected and invariant checks, by kind.
type stats struct {
	mu sync.Mutex
	n  map[string]int
}

func newStats() *stats { return &stats{n: map[string]int{}} }

func (s *stats) add(kind string) {
	s.mu.Lock()
	s.n[kind]++
	s.mu.Unlock()
}

// table renders the counts as a Markdown table.
func (s *stats) table(title string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | count |\n| --- | ---: |\n", title)
	for _, k := range slices.Sorted(mapsKeys(s.n)) {
		fmt.Fprintf(&b, "| %s | %d |\n", k, s.n[k])
	}
	return b.String()
}

func mapsKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// report appends a chaos report to the file CHAOS_REPORT names, if any.
func report(text string) error {
	path := os.Getenv("CHAOS_REPORT")
	if path == "" {
		return nil
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
