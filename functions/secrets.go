package functions

import (
	"context"
	"fmt"
	"sync"

	"github.com/groupsync/groupsync/internal/secrets/secretmanager"
)

// lazySecrets is a config.SecretManager that connects on first use, so
// that a config without secret:// references never needs the client (or
// credentials for it). A failed connection is retried on the next use.
type lazySecrets struct {
	mu sync.Mutex
	c  *secretmanager.Client
}

func (s *lazySecrets) AccessSecret(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	if s.c == nil {
		c, err := secretmanager.New(ctx)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("secret manager: %w", err)
		}
		s.c = c
	}
	c := s.c
	s.mu.Unlock()
	return c.AccessSecret(ctx, name)
}

func (s *lazySecrets) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}
