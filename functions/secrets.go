package functions

import (
	"context"
	"fmt"
	"sync"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
)

// lazySecrets is a config.SecretManager that connects on first use, so
// that a config without secret:// references never needs the client (or
// credentials for it).
type lazySecrets struct {
	mu sync.Mutex
	c  *secretmanager.Client
}

func (s *lazySecrets) AccessSecret(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	if s.c == nil {
		c, err := secretmanager.NewClient(ctx)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("secret manager: %w", err)
		}
		s.c = c
	}
	c := s.c
	s.mu.Unlock()
	resp, err := c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		return nil, err
	}
	return resp.GetPayload().GetData(), nil
}

func (s *lazySecrets) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}
