package scim_test

import (
	"net/http"
	"testing"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestBatchesCreates: the target says it batches creates only while the
// server advertises Bulk and has not refused it.
func TestBatchesCreates(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts scimtest.Options
		// before and after one CreateUsers call
		before, after bool
	}{
		{"no Bulk", scimtest.Options{}, false, false},
		{"Bulk", scimtest.Options{BulkMaxOperations: 100}, true, true},
		{"Bulk refused", scimtest.Options{BulkMaxOperations: 100, BulkStatus: http.StatusNotImplemented}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := scimtest.NewServer(tc.opts)
			defer srv.Close()
			tg := newTarget(t, srv, 100)
			if got := tg.BatchesCreates(t.Context()); got != tc.before {
				t.Errorf("BatchesCreates before a create: got %v, want %v", got, tc.before)
			}
			tg.CreateUsers(t.Context(), userCreates(3))
			if got := tg.BatchesCreates(t.Context()); got != tc.after {
				t.Errorf("BatchesCreates after a create: got %v, want %v", got, tc.after)
			}
		})
	}
}
