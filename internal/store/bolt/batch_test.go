package bolt

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
)

// TestPutOwnedBatch: a batch of ownership records is one commit, reads
// back as PutOwned would store it, and writes nothing when unchanged.
func TestPutOwnedBatch(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	var batch []model.Owned
	for i := range 250 {
		batch = append(batch, model.Owned{Rule: "r", Kind: model.KindUser, SourceID: fmt.Sprintf("u%03d", i), TargetID: fmt.Sprintf("t%03d", i), Active: true})
	}
	before := s.Writes()
	if err := s.PutOwnedBatch(ctx, batch); err != nil {
		t.Fatalf("PutOwnedBatch: %v", err)
	}
	if got := s.Writes() - before; got != 1 {
		t.Errorf("commits for a batch of 250: got %d, want 1", got)
	}
	got, err := s.OwnedAll(ctx, "r", model.KindUser)
	if err != nil {
		t.Fatalf("OwnedAll: %v", err)
	}
	if diff := cmp.Diff(batch, got); diff != "" {
		t.Errorf("stored records (-want +got):\n%s", diff)
	}
	before = s.Writes()
	if err := s.PutOwnedBatch(ctx, batch); err != nil {
		t.Fatalf("PutOwnedBatch again: %v", err)
	}
	if got := s.Writes() - before; got != 0 {
		t.Errorf("commits for an unchanged batch: got %d, want 0", got)
	}
	if err := s.PutOwnedBatch(ctx, []model.Owned{{Rule: "r", Kind: model.KindUser}}); err == nil {
		t.Error("PutOwnedBatch of a record without a source ID: got nil error")
	}
}
