package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Secret reference schemes.
const (
	schemeEnv    = "env://"
	schemeFile   = "file://"
	schemeSecret = "secret://"
)

var (
	reEnvName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reSecretName  = regexp.MustCompile(`^projects/[^/]+/secrets/[^/]+/versions/[^/]+$`)
	secretRefWant = "env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V"
	// credentialsWant also offers keyless, which only credentials accept.
	credentialsWant = "env://NAME, file://PATH, secret://projects/P/secrets/S/versions/V or keyless"
)

// checkSecretRef checks a reference's syntax only; nothing is read.
func checkSecretRef(ref string) error {
	switch {
	case strings.HasPrefix(ref, schemeEnv):
		if name := strings.TrimPrefix(ref, schemeEnv); !reEnvName.MatchString(name) {
			return fmt.Errorf("%q does not name an environment variable (want env://NAME)", ref)
		}
	case strings.HasPrefix(ref, schemeFile):
		if strings.TrimPrefix(ref, schemeFile) == "" {
			return fmt.Errorf("%q has no file path (want file://PATH)", ref)
		}
	case strings.HasPrefix(ref, schemeSecret):
		if !reSecretName.MatchString(strings.TrimPrefix(ref, schemeSecret)) {
			return fmt.Errorf("%q is not secret://projects/P/secrets/S/versions/V", ref)
		}
	default:
		return fmt.Errorf("%q is not a secret reference (want %s)", ref, secretRefWant)
	}
	return nil
}
