package idtoken_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/idtoken"
	"github.com/groupsync/groupsync/internal/idtoken/idtokentest"
)

// FuzzVerify: no token verifies unless it carries the exact claims the
// issuer signed; nothing panics.
func FuzzVerify(f *testing.F) {
	srv := idtokentest.NewServer()
	f.Cleanup(srv.Close)
	v := idtoken.NewVerifier(aud, idtoken.Options{JWKSURL: srv.JWKSURL()})
	valid := srv.Token(aud, "ops@example.com")
	want, err := v.Verify(f.Context(), valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(unsigned(valid))
	f.Add(withAlg(valid, "HS256"))
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := v.Verify(t.Context(), tok)
		if err != nil {
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("a mutated token verified with other claims (-signed +got):\n%s", diff)
		}
	})
}
