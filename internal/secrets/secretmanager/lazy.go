package secretmanager

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/api/option"
)

// Lazy is a config.SecretManager that connects on first use, so a config
// without secret:// references never needs the client (or credentials for
// it). A failed connection is retried on the next use. The zero Lazy uses
// application default credentials: the runtime's service account in the
// cloud, `gcloud auth application-default login` on a workstation.
type Lazy struct {
	// Options are passed to New (tests point them at a fake).
	Options []option.ClientOption

	mu sync.Mutex
	c  *Client
}

// AccessSecret implements config.SecretManager.
func (s *Lazy) AccessSecret(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	if s.c == nil {
		c, err := New(ctx, s.Options...)
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

// Close closes the client, if one was made.
func (s *Lazy) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	err := s.c.Close()
	s.c = nil
	return err
}
