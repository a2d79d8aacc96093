package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Resolver reads the values behind secret references. Errors name the
// reference, never the value.
type Resolver struct {
	// SecretManager serves secret:// references; nil where the runtime has
	// none (the local CLI).
	SecretManager SecretManager
	// BaseDir anchors relative file:// paths, normally the config file's
	// directory.
	BaseDir string
}

// Resolve returns the value ref points to: an environment variable
// (env://NAME, which must be set and non-empty), a file (file://PATH) or a
// Secret Manager version (secret://projects/P/secrets/S/versions/V). File and
// secret values lose one trailing newline, so that `echo token > f` works.
func (r *Resolver) Resolve(ctx context.Context, ref string) (string, error) {
	if err := checkSecretRef(ref); err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(ref, schemeEnv):
		name := strings.TrimPrefix(ref, schemeEnv)
		v := os.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("%s: environment variable %s is not set or is empty", ref, name)
		}
		return v, nil
	case strings.HasPrefix(ref, schemeFile):
		p := strings.TrimPrefix(ref, schemeFile)
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.BaseDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("%s: %w", ref, err)
		}
		return nonEmpty(ref, data)
	default:
		if r.SecretManager == nil {
			return "", fmt.Errorf("%s: Secret Manager is not configured in this runtime (use env:// or file:// locally)", ref)
		}
		data, err := r.SecretManager.AccessSecret(ctx, strings.TrimPrefix(ref, schemeSecret))
		if err != nil {
			return "", fmt.Errorf("%s: %w", ref, err)
		}
		return nonEmpty(ref, data)
	}
}

func nonEmpty(ref string, data []byte) (string, error) {
	data = bytes.TrimSuffix(data, []byte("\n"))
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) == 0 {
		return "", fmt.Errorf("%s: the value is empty", ref)
	}
	return string(data), nil
}
