package scim_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/target/scim"
)

// TestTokenRedactedBeforeTruncation: a server that echoes the request
// header far into a long error body must not leave a prefix of the token
// in the error once the body is cut short.
func TestTokenRedactedBeforeTruncation(t *testing.T) {
	const token = "scim-live-7f3a9c2e41b84d0a"
	for _, pad := range []int{0, 250, 280, 295, 299, 400} {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"400","detail":"%s%s"}`, strings.Repeat("x", pad), r.Header.Get("Authorization"))
		}))
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		tg, err := scim.New(t.Context(), scim.Config{URL: echo.URL, Token: token, MaxRetries: 1, MinBackoff: time.Millisecond}, logger)
		if err != nil {
			t.Fatal(err)
		}
		err = tg.Check(t.Context())
		echo.Close()
		if err == nil {
			t.Fatalf("pad %d: Check against a failing server succeeded", pad)
		}
		// Any 6 characters of the token are a leak.
		for i := 0; i+6 <= len(token); i++ {
			if part := token[i : i+6]; strings.Contains(err.Error(), part) || strings.Contains(logs.String(), part) {
				t.Errorf("pad %d: %q of the token leaks:\nerror: %v\nlogs: %s", pad, part, err, logs.String())
				break
			}
		}
	}
}
