package model

import "testing"

// UserHash is HashStrings of the attributes, the mapped ones only when
// set: stored hashes must not change with how it is computed.
func TestUserHashIsHashStrings(t *testing.T) {
	for _, tc := range []struct {
		u     User
		parts []string
	}{
		{User{ID: "1", Email: " A@Example.com", GivenName: "A", FamilyName: "B", DisplayName: "A B"},
			[]string{"1", "a@example.com", "A", "B", "A B", "0"}},
		{User{ID: "2", Email: "b@example.com", Suspended: true, Title: "CTO"},
			[]string{"2", "b@example.com", "", "", "", "1", "mapped", "", "CTO", "", "", "", ""}},
	} {
		if got, want := UserHash(tc.u), HashStrings(tc.parts...); got != want {
			t.Errorf("UserHash(%+v) = %s, want %s", tc.u, got, want)
		}
	}
}
