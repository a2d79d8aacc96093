package scim

import "sync"

// atomicBytes is the body a fuzz server answers with, set per input.
type atomicBytes struct {
	mu sync.Mutex
	b  []byte
}

func (a *atomicBytes) store(b []byte) {
	a.mu.Lock()
	a.b = append(a.b[:0], b...)
	a.mu.Unlock()
}

func (a *atomicBytes) load() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]byte(nil), a.b...)
}
