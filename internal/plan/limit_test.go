package plan

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
	}{
		{"", Limit{}},
		{"  ", Limit{}},
		{"0", Limit{Count: 0, Set: true}},
		{"50", Limit{Count: 50, Set: true}},
		{" 7 ", Limit{Count: 7, Set: true}},
		{"10%", Limit{Percent: 10, Set: true}},
		{"2.5%", Limit{Percent: 2.5, Set: true}},
		{"0%", Limit{Set: true}},
		{"100%", Limit{Percent: 100, Set: true}},
		{"15 %", Limit{Percent: 15, Set: true}},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if err != nil {
			t.Errorf("ParseLimit(%q) error: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseLimit(%q) differs (-want +got):\n%s", tt.in, diff)
		}
	}
	for _, in := range []string{"-1", "-5%", "101%", "ten", "10%%", "%", "1.5", "NaN%", "1e3x"} {
		if got, err := ParseLimit(in); err == nil {
			t.Errorf("ParseLimit(%q) = %+v, want an error", in, got)
		}
	}
}

func TestLimitAllowed(t *testing.T) {
	must := func(s string) Limit {
		l, err := ParseLimit(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tests := []struct {
		limit string
		base  int
		want  int
	}{
		{"", 0, math.MaxInt},
		{"", 1000, math.MaxInt},
		{"0", 1000, 0},
		{"0%", 1000, 0},
		{"5", 0, 5},
		{"5", 1000, 5},
		{"10%", 40, 4},
		{"10%", 41, 5}, // rounds up
		{"10%", 1, 1},  // a small group can always lose one member
		{"10%", 0, 0},
		{"2.5%", 200, 5},
		{"100%", 7, 7},
	}
	for _, tt := range tests {
		if got := must(tt.limit).Allowed(tt.base); got != tt.want {
			t.Errorf("ParseLimit(%q).Allowed(%d) = %d, want %d", tt.limit, tt.base, got, tt.want)
		}
	}
}

func TestLimitExceeded(t *testing.T) {
	tests := []struct {
		limit   Limit
		n, base int
		want    bool
	}{
		{Limit{}, 1 << 30, 1, false},
		{Limit{Set: true}, 0, 10, false},
		{Limit{Set: true}, 1, 10, true},
		{Limit{Count: 3, Set: true}, 3, 10, false},
		{Limit{Count: 3, Set: true}, 4, 10, true},
		{Limit{Percent: 10, Set: true}, 4, 40, false},
		{Limit{Percent: 10, Set: true}, 5, 40, true},
		{Limit{Percent: 10, Set: true}, 1, 0, true},
	}
	for _, tt := range tests {
		if got := tt.limit.Exceeded(tt.n, tt.base); got != tt.want {
			t.Errorf("%v.Exceeded(%d, %d) = %v, want %v", tt.limit, tt.n, tt.base, got, tt.want)
		}
	}
}

func TestLimitString(t *testing.T) {
	for _, s := range []string{"10%", "2.5%", "0", "50"} {
		l, err := ParseLimit(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.String(); got != s {
			t.Errorf("ParseLimit(%q).String() = %q, want the input back", s, got)
		}
	}
	if got := (Limit{}).String(); got != "none" {
		t.Errorf("Limit{}.String() = %q, want %q", got, "none")
	}
}
