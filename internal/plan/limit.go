package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseLimit parses "10%", "2.5%" or "50". The empty string is the zero
// (unlimited) Limit; use the caller's default before parsing.
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Limit{}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 || math.IsNaN(f) {
			return Limit{}, fmt.Errorf("%q is not a percentage between 0%% and 100%%", s)
		}
		return Limit{Percent: f, Set: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Limit{}, fmt.Errorf("%q is not a count or a percentage like \"10%%\"", s)
	}
	return Limit{Count: n, Set: true}, nil
}

// Allowed is how many deletions the limit allows out of base. A percentage
// rounds up, so a non-empty base always allows at least one deletion and a
// one-member change in a small group is not held ("0%" and "0" allow
// none). The zero Limit allows all.
func (l Limit) Allowed(base int) int {
	switch {
	case !l.Set:
		return math.MaxInt
	case l.Percent > 0:
		return int(math.Ceil(l.Percent * float64(base) / 100))
	}
	return l.Count
}

// Exceeded reports whether n deletions out of base go over the limit.
func (l Limit) Exceeded(n, base int) bool { return n > l.Allowed(base) }

func (l Limit) String() string {
	switch {
	case !l.Set:
		return "none"
	case l.Percent > 0:
		return strconv.FormatFloat(l.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.Count)
}
