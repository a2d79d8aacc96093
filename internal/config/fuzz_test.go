package config

import (
	"strings"
	"testing"
)

// FuzzParse: any file either parses into a config that validates again, or
// is refused with messages that name the file; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(okSources + okTargets + okRules))
	f.Add(Example())
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("groupsync.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "groupsync.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, r := range cfg.Rules {
			if _, ok := cfg.Sources[r.Source]; !ok {
				t.Fatalf("rule %s names unknown source %q and still parsed", r.Name, r.Source)
			}
			if _, ok := cfg.Targets[r.Target]; !ok {
				t.Fatalf("rule %s names unknown target %q and still parsed", r.Name, r.Target)
			}
		}
	})
}

// FuzzGroupFilter: a pattern that validates matches case-insensitively
// and never panics; exclude wins over include.
func FuzzGroupFilter(f *testing.F) {
	f.Add("eng-*@example.com", "eng-core@example.com")
	f.Add("[a-", "a@example.com")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, email string) {
		in := GroupFilter{Include: []string{pattern}}
		up := strings.ToUpper(email)
		//lint:ignore SA6005 Match lower-cases both sides; EqualFold folds more (e.g. the Kelvin sign)
		if strings.ToLower(up) == strings.ToLower(email) && in.Match(email) != in.Match(up) {
			t.Fatalf("pattern %q: Match(%q) = %v but Match(%q) = %v", pattern, email, in.Match(email), up, in.Match(up))
		}
		if both := (GroupFilter{Include: []string{pattern}, Exclude: []string{pattern}}); both.Match(email) {
			t.Fatalf("pattern %q both included and excluded, and %q matched", pattern, email)
		}
	})
}
