package firestore

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

// A plan is stored in pieces (store.SplitPlan): its head in the held
// document, and its group plans and users to create in planchunks/{gen}-{n}
// and planchunks/{gen}-u{n} under it, each chunk committed on its own. One
// commit of a large rule's plan would pass Firestore's 10 MiB limit on a
// request, gzipped or not.

func planChunkRef(plan *firestore.DocumentRef, gen string, i int) *firestore.DocumentRef {
	return plan.Collection(colPlanChunks).Doc(fmt.Sprintf("%s-%06d", gen, i))
}

func planUserChunkRef(plan *firestore.DocumentRef, gen string, i int) *firestore.DocumentRef {
	return plan.Collection(colPlanChunks).Doc(fmt.Sprintf("%s-u%06d", gen, i))
}

// putChunks writes a plan's chunks, one commit each, before its head.
func (s *Store) putChunks(ctx context.Context, ref *firestore.DocumentRef, head store.PlanHead, groups [][]model.GroupPlan, users [][]model.User) error {
	expires := s.expires(head.Created)
	put := func(cref *firestore.DocumentRef, v any) error {
		return s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			// A fresh generation's chunk has no earlier parts to drop.
			return setRecord(tx, cref, map[string]any{"expires": expires}, v, 0)
		})
	}
	for i, c := range groups {
		if err := put(planChunkRef(ref, head.Gen, i), c); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	for i, c := range users {
		if err := put(planUserChunkRef(ref, head.Gen, i), c); err != nil {
			return fmt.Errorf("user chunk %d: %w", i, err)
		}
	}
	return nil
}

// dropStaleChunks deletes the chunks of every generation but gen, with
// their parts. A failure leaves them to the next PutPlan or to TTL: the
// head no longer names them.
func (s *Store) dropStaleChunks(ctx context.Context, ref *firestore.DocumentRef, gen string) error {
	// Only the part counts: the chunks themselves are megabytes.
	docs, err := ref.Collection(colPlanChunks).Select(fieldParts).Documents(ctx).GetAll()
	if err != nil {
		return err
	}
	var stale []*firestore.DocumentRef
	for _, doc := range docs {
		if strings.HasPrefix(doc.Ref.ID, gen+"-") {
			continue
		}
		for n := range partsOf(doc) {
			stale = append(stale, partRef(doc.Ref, n))
		}
		stale = append(stale, doc.Ref)
	}
	if len(stale) == 0 {
		return nil
	}
	if err := s.deleteAll(ctx, stale); err != nil {
		return err
	}
	s.writes.Add(1)
	return nil
}

// loadPlan reads a head's chunks in tx and returns the whole plan.
func loadPlan(tx *firestore.Transaction, ref *firestore.DocumentRef, head store.PlanHead) (model.HeldPlan, error) {
	h := head.HeldPlan
	if head.Gen == "" {
		return h, nil // stored whole, before plans were chunked
	}
	refs := make([]*firestore.DocumentRef, 0, head.Chunks+head.UserChunks)
	for i := range head.Chunks {
		refs = append(refs, planChunkRef(ref, head.Gen, i))
	}
	for i := range head.UserChunks {
		refs = append(refs, planUserChunkRef(ref, head.Gen, i))
	}
	if len(refs) == 0 {
		return h, nil
	}
	docs, err := tx.GetAll(refs)
	if err != nil {
		return model.HeldPlan{}, err
	}
	for _, doc := range docs {
		if !doc.Exists() {
			return model.HeldPlan{}, fmt.Errorf("plan chunk %s is missing", doc.Ref.ID)
		}
	}
	groups, err := decodeRecords[[]model.GroupPlan](tx.GetAll, docs[:head.Chunks])
	if err != nil {
		return model.HeldPlan{}, err
	}
	var in model.Interner
	for _, c := range groups {
		in.GroupPlans(c)
		h.Plan.Groups = append(h.Plan.Groups, c...)
	}
	users, err := decodeRecords[[]model.User](tx.GetAll, docs[head.Chunks:])
	if err != nil {
		return model.HeldPlan{}, err
	}
	for _, c := range users {
		h.Plan.CreateUsers = append(h.Plan.CreateUsers, c...)
	}
	return h, nil
}
