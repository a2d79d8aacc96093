package scimtest

import (
	"strings"
	"testing"
)

// FuzzFoldKey: two strings share a foldKey exactly when strings.EqualFold
// says they are equal, so that the userName and displayName indexes find
// what the uniqueness checks compare.
func FuzzFoldKey(f *testing.F) {
	for _, p := range [][2]string{
		{"Alice@Example.com", "alice@example.COM"},
		{"kim", "\u212aim"},    // Kelvin sign
		{"sam", "\u017fam"},    // long s
		{"ß", "ẞ"},             // sharp s folds simply only to itself and ẞ
		{"ss", "ß"},            // full folding only: not equal
		{"Σίσυφος", "ΣΊΣΥΦΟς"}, // final sigma
		{"\xff", "\ufffd"},     // invalid UTF-8 decodes to U+FFFD
		{"a", "ab"},
		{"", ""},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
			t.Errorf("foldKey(%q) == foldKey(%q) is %t, want %t (EqualFold)", a, b, got, want)
		}
	})
}
