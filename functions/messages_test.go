package functions

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
)

// TestChangeBody: a change event within Pub/Sub's limit goes whole; one
// over it goes without its lists, marked truncated, rather than not at all.
func TestChangeBody(t *testing.T) {
	defer func(m int) { maxMessage = m }(maxMessage)
	maxMessage = 10_000
	ev := func(n int) model.ChangeEvent {
		e := model.ChangeEvent{JobID: "j", Rule: "all", GroupID: "g1", GroupEmail: "all@example.com", Status: "applied"}
		for i := range n {
			e.Added = append(e.Added, fmt.Sprintf("1%020d", i))
		}
		return e
	}
	for _, tc := range []struct {
		name string
		in   model.ChangeEvent
		want model.ChangeEvent
	}{
		{"within the limit", ev(10), ev(10)},
		{"over the limit", ev(1_000), model.ChangeEvent{JobID: "j", Rule: "all", GroupID: "g1", GroupEmail: "all@example.com", Status: "applied", Truncated: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := changeBody(tc.in)
			if err != nil {
				t.Fatalf("changeBody: %v", err)
			}
			if len(body) > maxMessage {
				t.Errorf("body: got %d bytes, want at most %d", len(body), maxMessage)
			}
			var got model.ChangeEvent
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}
