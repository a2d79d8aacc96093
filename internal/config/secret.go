package config

import "context"

// SecretManager reads secret://projects/P/secrets/S/versions/V references.
// The cloud runtime injects an implementation backed by
// cloud.google.com/go/secretmanager; without one, secret:// references fail
// with a clear error.
type SecretManager interface {
	// AccessSecret returns the payload of a version resource name
	// ("projects/P/secrets/S/versions/V").
	AccessSecret(ctx context.Context, name string) ([]byte, error)
}
