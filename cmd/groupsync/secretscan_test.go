package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoSecretLeaves runs the CLI with known secret values, through a
// clean sync and through failures whose messages carry server answers, and
// scans everything it leaves for them: every output and log line, the job
// records (`jobs`, `jobs show`, as text and JSON) and the store file.
func TestNoSecretLeaves(t *testing.T) {
	e := newE2E(t)
	var key struct {
		PrivateKey string `json:"private_key"`
	}
	data, err := os.ReadFile(filepath.Join(e.dir, "key.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &key); err != nil {
		t.Fatal(err)
	}
	body := strings.Join(strings.Split(key.PrivateKey, "\n")[1:3], "")
	secrets := map[string]string{"the SCIM token": e.scim.Token, "the DWD private key": body[:48]}

	var seen []string
	cli := func(args ...string) string {
		_, out := e.cli(t, args...)
		seen = append(seen, out)
		return out
	}
	cli("check")
	cli("plan")
	cli("sync")
	// A token the server refuses: the 401 answer must not quote it back.
	wrong := "groupsync-test-wrong-token-5f1c9a"
	secrets["a refused token"] = wrong
	t.Setenv("E2E_SCIM_TOKEN", wrong)
	if out := cli("check") + cli("sync"); !strings.Contains(out, "401") {
		t.Fatalf("a refused token did not fail with 401; the scan would prove nothing:\n%s", out)
	}
	t.Setenv("E2E_SCIM_TOKEN", e.scim.Token)
	out := cli("jobs")
	cli("jobs", "--json")
	ids := regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]+`).FindAllString(out, -1)
	if len(ids) < 2 {
		t.Fatalf("jobs listed %d jobs, want the runs above:\n%s", len(ids), out)
	}
	for _, id := range ids {
		cli("jobs", "show", id)
		cli("jobs", "show", id, "--json")
	}
	store, err := os.ReadFile(filepath.Join(e.dir, "groupsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, string(store))
	for name, secret := range secrets {
		for i, text := range seen {
			if strings.Contains(text, secret) {
				t.Errorf("%s appears in output %d:\n%s", name, i, excerpt(text, secret))
			}
		}
	}
}

func excerpt(text, secret string) string {
	i := strings.Index(text, secret)
	return text[max(0, i-200):min(len(text), i+len(secret)+50)]
}
