package nearest

import "testing"

func TestWord(t *testing.T) {
	cands := []string{"check", "plan", "sync", "jobs", "approve"}
	tests := []struct {
		word string
		max  int
		want string
	}{
		{"snyc", 2, "sync"},
		{"pln", 1, "plan"},
		{"aprove", 1, "approve"},
		{"frobnicate", 3, ""},
		{"chek", 0, ""},
		{"jobs", 0, "jobs"},
	}
	for _, tc := range tests {
		if got := Word(tc.word, cands, tc.max); got != tc.want {
			t.Errorf("Word(%q, max %d): got %q, want %q", tc.word, tc.max, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q): got %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
