package config

import (
	"errors"
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

// checkSecretRef checks a reference's syntax only; nothing is read. Its
// errors never quote ref: a value that is not a well-formed reference may
// be the secret itself, pasted in, and validation errors end up in logs.
// The caller names the key.
func checkSecretRef(ref string) error {
	switch {
	case strings.HasPrefix(ref, schemeEnv):
		if name := strings.TrimPrefix(ref, schemeEnv); !reEnvName.MatchString(name) {
			return errors.New("the env:// reference does not name an environment variable (want env://NAME)")
		}
	case strings.HasPrefix(ref, schemeFile):
		if strings.TrimPrefix(ref, schemeFile) == "" {
			return errors.New("the file:// reference has no file path (want file://PATH)")
		}
	case strings.HasPrefix(ref, schemeSecret):
		if !reSecretName.MatchString(strings.TrimPrefix(ref, schemeSecret)) {
			return errors.New("the secret:// reference is not secret://projects/P/secrets/S/versions/V")
		}
	default:
		return fmt.Errorf("%s (want %s)", notARef, secretRefWant)
	}
	return nil
}

// notARef is the message for a value that is no reference at all.
const notARef = "is not a secret reference; the value is not shown"
