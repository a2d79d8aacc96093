package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

var projectSeq atomic.Int64

// ProjectID returns a project ID unique within the test binary, derived from
// the test's name. Emulators keep each project's data apart, so a fresh
// project is a faster reset than deleting documents.
func ProjectID(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 20 {
			break
		}
	}
	return fmt.Sprintf("p%d-%s", projectSeq.Add(1), strings.Trim(b.String(), "-"))
}

// ResetFirestore deletes every document of the project's (default)
// database in the emulator at host.
func ResetFirestore(t testing.TB, host, projectID string) {
	t.Helper()
	u := "http://" + host + "/emulator/v1/projects/" + url.PathEscape(projectID) + "/databases/(default)/documents"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("resetting the Firestore emulator: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resetting the Firestore emulator: %s", resp.Status)
	}
}
