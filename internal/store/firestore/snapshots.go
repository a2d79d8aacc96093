package firestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
)

// chunkSize is the number of member IDs per chunk document: 10,000 Google
// IDs take about 250 KB, far below the 1 MiB document limit, and stay
// below the 40,000 index entries a document may have even if the ids
// field is left indexed.
const chunkSize = 10000

// groupDoc is a snapshot header. Other applications may read it.
type groupDoc struct {
	Rule        string    `firestore:"rule"`
	GroupID     string    `firestore:"group_id"`
	Email       string    `firestore:"email"`
	Name        string    `firestore:"name"`
	MemberCount int       `firestore:"member_count"`
	Hash        string    `firestore:"hash"`
	Updated     time.Time `firestore:"updated"`
	Chunks      int       `firestore:"chunks"`
	// Sum fingerprints the whole snapshot, so an identical Put writes
	// nothing without reading the chunks.
	Sum string `firestore:"sum"`
}

type chunkDoc struct {
	IDs []string `firestore:"ids"`
}

func (s *Store) groupRef(rule, groupID string) *firestore.DocumentRef {
	return s.c.Collection(colRules).Doc(docID(rule)).Collection(colGroups).Doc(docID(groupID))
}

func chunkRef(group *firestore.DocumentRef, n int) *firestore.DocumentRef {
	return group.Collection(colChunks).Doc(strconv.Itoa(n))
}

func snapshotSum(sn model.Snapshot) string {
	sn.Updated = ts(sn.Updated)
	if sn.MemberIDs == nil {
		sn.MemberIDs = []string{}
	}
	return fingerprint(sn)
}

// Snapshot returns the snapshot of one group; ok is false when none.
func (s *Store) Snapshot(ctx context.Context, rule, groupID string) (model.Snapshot, bool, error) {
	var sn model.Snapshot
	var ok bool
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		ref := s.groupRef(rule, groupID)
		doc, err := get(tx, ref)
		if err != nil || doc == nil {
			ok = false
			return err
		}
		got, err := readSnapshots(tx, []*firestore.DocumentSnapshot{doc})
		if err != nil {
			return err
		}
		sn, ok = got[0], true
		return nil
	})
	if err != nil {
		return model.Snapshot{}, false, fmt.Errorf("get snapshot %s/%s: %w", rule, groupID, err)
	}
	return sn, ok, nil
}

// Snapshots returns every snapshot of a rule, sorted by group ID.
func (s *Store) Snapshots(ctx context.Context, rule string) ([]model.Snapshot, error) {
	var out []model.Snapshot
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		docs, err := tx.Documents(s.c.Collection(colRules).Doc(docID(rule)).Collection(colGroups)).GetAll()
		if err != nil {
			return err
		}
		out, err = readSnapshots(tx, docs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots of rule %s: %w", rule, err)
	}
	slices.SortFunc(out, func(a, b model.Snapshot) int { return cmp.Compare(a.GroupID, b.GroupID) })
	return out, nil
}

// getAllBatch bounds the documents fetched per BatchGetDocuments call.
const getAllBatch = 100

// readSnapshots decodes headers and fetches all their chunks in batches.
func readSnapshots(tx *firestore.Transaction, headers []*firestore.DocumentSnapshot) ([]model.Snapshot, error) {
	out := make([]model.Snapshot, len(headers))
	var refs []*firestore.DocumentRef
	var owner []int // index in out of each ref's snapshot
	for i, doc := range headers {
		var h groupDoc
		if err := doc.DataTo(&h); err != nil {
			return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
		}
		out[i] = model.Snapshot{
			Rule:      h.Rule,
			GroupID:   h.GroupID,
			Email:     h.Email,
			Name:      h.Name,
			MemberIDs: make([]string, 0, h.MemberCount),
			Hash:      h.Hash,
			Updated:   h.Updated,
		}
		for n := range h.Chunks {
			refs = append(refs, chunkRef(doc.Ref, n))
			owner = append(owner, i)
		}
	}
	// Chunks come back in request order, so appending keeps IDs sorted.
	for start := 0; start < len(refs); start += getAllBatch {
		end := min(start+getAllBatch, len(refs))
		docs, err := tx.GetAll(refs[start:end])
		if err != nil {
			return nil, err
		}
		for k, doc := range docs {
			if !doc.Exists() {
				return nil, fmt.Errorf("%s is missing", doc.Ref.Path)
			}
			var c chunkDoc
			if err := doc.DataTo(&c); err != nil {
				return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
			}
			i := owner[start+k]
			out[i].MemberIDs = append(out[i].MemberIDs, c.IDs...)
		}
	}
	return out, nil
}

// PutSnapshot stores a snapshot: its header and its member IDs in chunks,
// deleting chunks left over from a larger membership. An identical
// snapshot writes nothing.
func (s *Store) PutSnapshot(ctx context.Context, sn model.Snapshot) error {
	if err := errors.Join(required("rule", sn.Rule), required("group ID", sn.GroupID)); err != nil {
		return fmt.Errorf("put snapshot: %w", err)
	}
	sum := snapshotSum(sn)
	ref := s.groupRef(sn.Rule, sn.GroupID)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		oldChunks := 0
		if old != nil {
			var h groupDoc
			if err := old.DataTo(&h); err != nil {
				return fmt.Errorf("decode %s: %w", ref.Path, err)
			}
			if h.Sum == sum {
				return errUnchanged
			}
			oldChunks = h.Chunks
		}
		chunks := (len(sn.MemberIDs) + chunkSize - 1) / chunkSize
		h := groupDoc{
			Rule:        sn.Rule,
			GroupID:     sn.GroupID,
			Email:       sn.Email,
			Name:        sn.Name,
			MemberCount: len(sn.MemberIDs),
			Hash:        sn.Hash,
			Updated:     sn.Updated,
			Chunks:      chunks,
			Sum:         sum,
		}
		if err := tx.Set(ref, h); err != nil {
			return err
		}
		for n := range chunks {
			ids := sn.MemberIDs[n*chunkSize : min((n+1)*chunkSize, len(sn.MemberIDs))]
			if err := tx.Set(chunkRef(ref, n), chunkDoc{IDs: ids}); err != nil {
				return err
			}
		}
		for n := chunks; n < oldChunks; n++ {
			if err := tx.Delete(chunkRef(ref, n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put snapshot %s/%s: %w", sn.Rule, sn.GroupID, err)
	}
	return nil
}

// DeleteSnapshot deletes a snapshot and its chunks. A missing snapshot is
// not an error.
func (s *Store) DeleteSnapshot(ctx context.Context, rule, groupID string) error {
	ref := s.groupRef(rule, groupID)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		if old == nil {
			return errUnchanged
		}
		refs, err := withChunks(old)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := tx.Delete(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete snapshot %s/%s: %w", rule, groupID, err)
	}
	return nil
}

// withChunks returns a snapshot header's ref followed by its chunks' refs.
func withChunks(header *firestore.DocumentSnapshot) ([]*firestore.DocumentRef, error) {
	var h groupDoc
	if err := header.DataTo(&h); err != nil {
		return nil, fmt.Errorf("decode %s: %w", header.Ref.Path, err)
	}
	refs := []*firestore.DocumentRef{header.Ref}
	for n := range h.Chunks {
		refs = append(refs, chunkRef(header.Ref, n))
	}
	return refs, nil
}
