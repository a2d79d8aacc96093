package config

import (
	"context"
	"strings"
	"testing"
)

// knownSecret is what a user might paste into a secret field instead of a
// reference; no message may repeat any of it.
const knownSecret = "gsk_Zx81LiveTokenQ7w"

// TestSecretValuesNeverQuoted pastes a secret into each secret field, bare
// and inside malformed references, and scans every validation and
// resolution message for it (or its first half: a truncated quote leaks
// too).
func TestSecretValuesNeverQuoted(t *testing.T) {
	for _, v := range []string{
		knownSecret,
		"Bearer " + knownSecret,
		"env://" + knownSecret + "-x",
		"secret://" + knownSecret,
		"https://" + knownSecret + "@example.com",
	} {
		yaml := "sources:\n" +
			"  corp: {type: workspace, admin_subject: admin@example.com, credentials: \"" + v + "\"}\n" +
			"  hq: {type: ldap, url: \"ldaps://ldap.example.com\", bind_dn: \"cn=gs,dc=example,dc=com\", password: \"" + v + "\", base_dn: \"dc=example,dc=com\"}\n" +
			"targets:\n  app: {type: scim, url: \"https://app.example.com/scim/v2\", token: \"" + v + "\"}\n" +
			"rules:\n  - {name: eng, source: corp, target: app}\n"
		_, err := Parse("groupsync.yaml", []byte(yaml))
		if err == nil {
			t.Fatalf("Parse with secret fields set to %q succeeded, want problems", v)
		}
		for _, key := range []string{"sources.corp.credentials", "sources.hq.password", "targets.app.token"} {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("problems for %q do not name %s:\n%v", v, key, err)
			}
		}
		assertNoSecret(t, "Parse", err.Error())
		if _, err := (&Resolver{}).Resolve(context.Background(), v); err == nil {
			t.Errorf("Resolve(%q) succeeded, want an error", v)
		} else {
			assertNoSecret(t, "Resolve", err.Error())
		}
	}
}

func assertNoSecret(t *testing.T, what, msg string) {
	t.Helper()
	if strings.Contains(msg, knownSecret[:len(knownSecret)/2]) {
		t.Errorf("%s message quotes the secret value:\n%s", what, msg)
	}
}
