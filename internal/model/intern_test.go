package model

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// TestInternerGroupPlans: interning keeps every value and shares one copy
// of each string across group plans.
func TestInternerGroupPlans(t *testing.T) {
	// Built strings, so that equal values are distinct copies as a
	// decoder makes them.
	id := func() string { return strings.Repeat("u", 1) + "1" }
	email := func() string { return "ada" + "@example.com" }
	groups := []GroupPlan{
		{GroupID: "g1", Add: []string{id()}, Labels: map[string]string{id(): email()}},
		{GroupID: "g2", Remove: []string{id()}, Labels: map[string]string{id(): email()}},
	}
	want := []GroupPlan{
		{GroupID: "g1", Add: []string{"u1"}, Labels: map[string]string{"u1": "ada@example.com"}},
		{GroupID: "g2", Remove: []string{"u1"}, Labels: map[string]string{"u1": "ada@example.com"}},
	}
	var in Interner
	in.GroupPlans(groups)
	if diff := cmp.Diff(want, groups); diff != "" {
		t.Errorf("interned plans (-want +got):\n%s", diff)
	}
	if unsafe.StringData(groups[0].Add[0]) != unsafe.StringData(groups[1].Remove[0]) {
		t.Error("the same ID in two groups is two copies, want one")
	}
	if unsafe.StringData(groups[0].Labels["u1"]) != unsafe.StringData(groups[1].Labels["u1"]) {
		t.Error("the same label in two groups is two copies, want one")
	}
}
