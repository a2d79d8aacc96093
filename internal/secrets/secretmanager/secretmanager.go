// Package secretmanager serves the config's secret:// references from
// Google Cloud Secret Manager.
//
// Payloads are cached for the life of the Client: a function instance reads
// each secret once, and a rotated secret takes effect as instances are
// replaced (or on the next deploy). Only successful reads are cached, and
// no payload ever appears in an error.
package secretmanager

import (
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"

	sm "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/groupsync/groupsync/internal/config"
)

var _ config.SecretManager = (*Client)(nil)

// Client reads secret versions and caches their payloads. It is safe for
// concurrent use.
type Client struct {
	sm    *sm.Client
	mu    sync.Mutex
	cache map[string][]byte
}

// New connects to Secret Manager with Application Default Credentials
// unless opts say otherwise.
func New(ctx context.Context, opts ...option.ClientOption) (*Client, error) {
	c, err := sm.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("secret manager: %w", err)
	}
	return &Client{sm: c, cache: make(map[string][]byte)}, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	return c.sm.Close()
}

// AccessSecret returns the payload of a secret version,
// "projects/P/secrets/S/versions/V" (V may be "latest"). The caller gets
// its own copy.
func (c *Client) AccessSecret(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	c.mu.Lock()
	data, ok := c.cache[name]
	c.mu.Unlock()
	if ok {
		return clone(data), nil
	}

	resp, err := c.sm.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		return nil, describe(name, err)
	}
	data = resp.GetPayload().GetData()
	// The service recommends checking the checksum it sends; a mismatch
	// means the payload was corrupted in transit.
	if want := resp.GetPayload().DataCrc32C; want != nil && int64(crc32.Checksum(data, castagnoli)) != *want {
		return nil, fmt.Errorf("secret manager: %s: payload checksum mismatch", name)
	}
	c.mu.Lock()
	c.cache[name] = data
	c.mu.Unlock()
	return clone(data), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkName rejects anything but a version resource name, before a call
// that would fail with a less helpful message.
func checkName(name string) error {
	p := strings.Split(name, "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "secrets" || p[4] != "versions" || p[1] == "" || p[3] == "" || p[5] == "" {
		return fmt.Errorf("secret manager: %q is not a secret version name (want projects/PROJECT/secrets/SECRET/versions/VERSION)", name)
	}
	return nil
}

// describe says what a failed access means for the operator. The gRPC
// status stays wrapped, so callers can still test its code.
func describe(name string, err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("secret manager: %s not found: check the project, secret name and version: %w", name, err)
	case codes.PermissionDenied:
		return fmt.Errorf("secret manager: permission denied on %s: grant the runtime's service account roles/secretmanager.secretAccessor on the secret: %w", name, err)
	case codes.FailedPrecondition:
		return fmt.Errorf("secret manager: %s is disabled or destroyed: enable it or point to another version: %w", name, err)
	case codes.Unauthenticated:
		return fmt.Errorf("secret manager: not authenticated reading %s: check the runtime's credentials: %w", name, err)
	}
	return fmt.Errorf("secret manager: reading %s: %w", name, err)
}

func clone(b []byte) []byte {
	return append([]byte(nil), b...)
}
