package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemberIDsSortedUnique(t *testing.T) {
	m := Membership{Members: []Member{{ID: "b"}, {ID: "a"}, {ID: "b"}, {ID: ""}, {ID: "c"}}}
	if diff := cmp.Diff([]string{"a", "b", "c"}, m.MemberIDs()); diff != "" {
		t.Errorf("MemberIDs (-want +got):\n%s", diff)
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, want := NormalizeEmail("  Ada.Admin@Example.COM "), "ada.admin@example.com"; got != want {
		t.Errorf("NormalizeEmail: got %q, want %q", got, want)
	}
}

func TestGroupHash(t *testing.T) {
	g := GroupInfo{ID: "g1", Email: "eng@example.com", Name: "Eng"}
	users := map[string]User{
		"u1": {ID: "u1", Email: "a@example.com"},
		"u2": {ID: "u2", Email: "b@example.com"},
	}
	base := GroupHash(g, []string{"u1", "u2"}, users)
	renamed := map[string]User{"u1": {ID: "u1", Email: "a2@example.com"}, "u2": users["u2"]}
	suspended := map[string]User{"u1": users["u1"], "u2": {ID: "u2", Email: "b@example.com", Suspended: true}}
	tests := []struct {
		name string
		hash string
		same bool
	}{
		{"member order does not matter", GroupHash(g, []string{"u2", "u1"}, users), true},
		{"email case does not matter", GroupHash(GroupInfo{ID: "g1", Email: "ENG@example.com", Name: "Eng"}, []string{"u1", "u2"}, users), true},
		{"a member leaves", GroupHash(g, []string{"u1"}, users), false},
		{"a member is renamed", GroupHash(g, []string{"u1", "u2"}, renamed), false},
		{"a member is suspended", GroupHash(g, []string{"u1", "u2"}, suspended), false},
		{"the group is renamed", GroupHash(GroupInfo{ID: "g1", Email: "eng@example.com", Name: "Engineering"}, []string{"u1", "u2"}, users), false},
	}
	for _, tc := range tests {
		if got := tc.hash == base; got != tc.same {
			t.Errorf("%s: got same=%v, want %v", tc.name, got, tc.same)
		}
	}
}

func TestHashStringsSeparatesParts(t *testing.T) {
	if HashStrings("ab", "c") == HashStrings("a", "bc") {
		t.Error(`HashStrings("ab","c") == HashStrings("a","bc")`)
	}
}

func TestPlanCounts(t *testing.T) {
	p := Plan{
		CreateUsers:  []User{{ID: "u1"}},
		DisableUsers: []UserRef{{SourceID: "u2"}},
		Groups: []GroupPlan{
			{GroupID: "g1", CreateGroup: true, Add: []string{"u1"}},
			{GroupID: "g2", Remove: []string{"u3", "u4"}, Held: []string{"over limit"}},
		},
	}
	if got, want := p.Changes(), 6; got != want {
		t.Errorf("Changes: got %d, want %d", got, want)
	}
	if got, want := p.Deletes(), 3; got != want {
		t.Errorf("Deletes: got %d, want %d", got, want)
	}
	if !p.IsHeld() {
		t.Error("IsHeld: got false with a held group, want true")
	}
}
