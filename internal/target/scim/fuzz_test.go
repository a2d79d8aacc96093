package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzQuote: a filter value always comes back from its JSON string
// literal unchanged, so no value can break out of the filter.
func FuzzQuote(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		q := quote(v)
		var back string
		if err := json.Unmarshal([]byte(q), &back); err != nil {
			t.Fatalf("quote(%q) = %s, not a JSON string: %v", v, q, err)
		}
		if utf8.ValidString(v) && back != v {
			t.Fatalf("quote(%q) = %s decodes to %q", v, q, back)
		}
		if strings.ContainsAny(q[1:len(q)-1], "\"\n\r") && !strings.Contains(q, `\`) {
			t.Fatalf("quote(%q) = %s carries a raw quote or newline", v, q)
		}
	})
}

// FuzzParseError: any error body parses, is bounded, and never carries the
// token.
func FuzzParseError(f *testing.F) {
	const token = "fuzz-token-7d1e"
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError("GET", "/Users", status, body, token)
		if strings.Contains(e.Detail, token) {
			t.Fatalf("detail carries the token: %q", e.Detail)
		}
		if len(e.Detail) > maxDetail+len("…") {
			t.Fatalf("detail is %d bytes, want at most %d", len(e.Detail), maxDetail+len("…"))
		}
		_ = e.Error()
	})
}

// FuzzListGroups serves a fuzzed body as every page of a group listing:
// the client must end (an error or a result) without panicking or paging
// forever.
func FuzzListGroups(f *testing.F) {
	var body atomicBytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		if strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig") {
			w.Write([]byte(`{"patch":{"supported":true},"filter":{"supported":true,"maxResults":100}}`))
			return
		}
		w.Write(body.load())
	}))
	f.Cleanup(srv.Close)
	tg, err := New(context.Background(), Config{URL: srv.URL, Token: "t", MaxRetries: 0, MinBackoff: time.Millisecond}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		body.store(page)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		groups, err := tg.findGroups(ctx, eqFilter("displayName", "eng"))
		if ctx.Err() != nil {
			t.Fatalf("listing did not end in 5s (err %v, %d groups)", err, len(groups))
		}
	})
}
