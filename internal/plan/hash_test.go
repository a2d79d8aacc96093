package plan

import (
	"testing"

	"github.com/groupsync/groupsync/internal/model"
)

func TestGroupHashIsModelGroupHash(t *testing.T) {
	users := map[string]model.User{
		"a": {ID: "a", Email: "A@example.com", GivenName: "A"},
		"b": {ID: "b", Email: "b@example.com", Suspended: true},
		"c": {Email: "c@example.com"}, // a record without its ID
	}
	g := model.GroupInfo{ID: "g", Email: " G@Example.com ", Name: "Group"}
	for _, ids := range [][]string{nil, {"a"}, {"a", "b", "c"}, {"a", "unknown", "z"}} {
		c := &computer{d: Desired{Users: users}, idx: map[string]int32{}}
		var ix []int32
		for _, id := range ids {
			ix = append(ix, c.intern(id))
		}
		// Twice: the second call reads the memoised user hashes.
		for range 2 {
			if got, want := c.groupHash(g, ix), model.GroupHash(g, ids, users); got != want {
				t.Errorf("groupHash(%v) = %s, want model.GroupHash %s", ids, got, want)
			}
		}
	}
}
