package firestore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
)

// ownedDoc is an ownership record. Other applications may read it.
type ownedDoc struct {
	Rule     string    `firestore:"rule"`
	Kind     string    `firestore:"kind"`
	SourceID string    `firestore:"source_id"`
	TargetID string    `firestore:"target_id"`
	Created  bool      `firestore:"created"`
	Email    string    `firestore:"email"`
	Name     string    `firestore:"name"`
	Active   bool      `firestore:"active"`
	Hash     string    `firestore:"hash"`
	Updated  time.Time `firestore:"updated"`
	Sum      string    `firestore:"sum"`
}

func (d ownedDoc) model() model.Owned {
	return model.Owned{
		Rule:     d.Rule,
		Kind:     d.Kind,
		SourceID: d.SourceID,
		TargetID: d.TargetID,
		Created:  d.Created,
		Email:    d.Email,
		Name:     d.Name,
		Active:   d.Active,
		Hash:     d.Hash,
		Updated:  d.Updated,
	}
}

// ruleDoc is the rules/{rule} document: the rule's state.
type ruleDoc struct {
	Rule        string    `firestore:"rule"`
	LastScope   int       `firestore:"last_scope"`
	LastJob     string    `firestore:"last_job"`
	LastUpdated time.Time `firestore:"last_updated"`
	// Change hints (issue 13).
	HintWatermark time.Time `firestore:"hint_watermark,omitempty"`
	LastFull      time.Time `firestore:"last_full,omitempty"`
	Nested        []string  `firestore:"nested,omitempty"`
	Config        string    `firestore:"config,omitempty"`
	Sum           string    `firestore:"sum"`
}

// fingerprint hashes the JSON of a value whose times went through ts, to
// tell whether a Put would change the stored document.
func fingerprint(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		// Model types always encode; a failure just means "changed".
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Store) ruleRef(rule string) *firestore.DocumentRef {
	return s.c.Collection(colRules).Doc(docID(rule))
}

func (s *Store) ownedRef(rule, kind, sourceID string) *firestore.DocumentRef {
	return s.ruleRef(rule).Collection(colOwned).Doc(pairID(kind, sourceID))
}

// Owned returns the ownership record of one object; ok is false if none.
func (s *Store) Owned(ctx context.Context, rule, kind, sourceID string) (model.Owned, bool, error) {
	doc, err := s.ownedRef(rule, kind, sourceID).Get(ctx)
	if isNotFound(err) {
		return model.Owned{}, false, nil
	}
	if err != nil {
		return model.Owned{}, false, fmt.Errorf("get owned %s/%s/%s: %w", rule, kind, sourceID, err)
	}
	var d ownedDoc
	if err := doc.DataTo(&d); err != nil {
		return model.Owned{}, false, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
	}
	return d.model(), true, nil
}

// OwnedAll returns a rule's records of one kind, sorted by source ID.
func (s *Store) OwnedAll(ctx context.Context, rule, kind string) ([]model.Owned, error) {
	docs, err := s.ruleRef(rule).Collection(colOwned).Where("kind", "==", kind).Documents(ctx).GetAll()
	if err != nil {
		return nil, fmt.Errorf("list owned %s of rule %s: %w", kind, rule, err)
	}
	out := make([]model.Owned, 0, len(docs))
	for _, doc := range docs {
		var d ownedDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
		}
		out = append(out, d.model())
	}
	slices.SortFunc(out, func(a, b model.Owned) int { return cmp.Compare(a.SourceID, b.SourceID) })
	return out, nil
}

// PutOwned stores an ownership record; an identical one writes nothing.
func (s *Store) PutOwned(ctx context.Context, o model.Owned) error {
	if err := errors.Join(required("rule", o.Rule), required("kind", o.Kind), required("source ID", o.SourceID)); err != nil {
		return fmt.Errorf("put owned: %w", err)
	}
	o.Updated = ts(o.Updated)
	d := ownedDoc{
		Rule:     o.Rule,
		Kind:     o.Kind,
		SourceID: o.SourceID,
		TargetID: o.TargetID,
		Created:  o.Created,
		Email:    o.Email,
		Name:     o.Name,
		Active:   o.Active,
		Hash:     o.Hash,
		Updated:  o.Updated,
		Sum:      fingerprint(o),
	}
	if err := s.putIfChanged(ctx, s.ownedRef(o.Rule, o.Kind, o.SourceID), d, d.Sum); err != nil {
		return fmt.Errorf("put owned %s/%s/%s: %w", o.Rule, o.Kind, o.SourceID, err)
	}
	return nil
}

// DeleteOwned deletes an ownership record; a missing one is not an error.
func (s *Store) DeleteOwned(ctx context.Context, rule, kind, sourceID string) error {
	if err := s.deleteIfExists(ctx, s.ownedRef(rule, kind, sourceID)); err != nil {
		return fmt.Errorf("delete owned %s/%s/%s: %w", rule, kind, sourceID, err)
	}
	return nil
}

// RuleState returns a rule's bookkeeping; ok is false when none.
func (s *Store) RuleState(ctx context.Context, rule string) (model.RuleState, bool, error) {
	doc, err := s.ruleRef(rule).Get(ctx)
	if isNotFound(err) {
		return model.RuleState{}, false, nil
	}
	if err != nil {
		return model.RuleState{}, false, fmt.Errorf("get state of rule %s: %w", rule, err)
	}
	var d ruleDoc
	if err := doc.DataTo(&d); err != nil {
		return model.RuleState{}, false, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
	}
	return model.RuleState{Rule: d.Rule, LastScope: d.LastScope, LastJob: d.LastJob, LastUpdated: d.LastUpdated,
		HintWatermark: d.HintWatermark, LastFull: d.LastFull, Nested: d.Nested, Config: d.Config}, true, nil
}

// PutRuleState stores a rule's bookkeeping; identical state writes nothing.
func (s *Store) PutRuleState(ctx context.Context, st model.RuleState) error {
	if err := required("rule", st.Rule); err != nil {
		return fmt.Errorf("put rule state: %w", err)
	}
	st.LastUpdated, st.HintWatermark, st.LastFull = ts(st.LastUpdated), ts(st.HintWatermark), ts(st.LastFull)
	d := ruleDoc{Rule: st.Rule, LastScope: st.LastScope, LastJob: st.LastJob, LastUpdated: st.LastUpdated,
		HintWatermark: st.HintWatermark, LastFull: st.LastFull, Nested: st.Nested, Config: st.Config, Sum: fingerprint(st)}
	if err := s.putIfChanged(ctx, s.ruleRef(st.Rule), d, d.Sum); err != nil {
		return fmt.Errorf("put state of rule %s: %w", st.Rule, err)
	}
	return nil
}

// forgetBatch bounds the deletes per commit, below Firestore's request
// size limits.
const forgetBatch = 400

// ForgetRule deletes a rule's snapshots, ownership records and state
// (disconnect). The deletes are committed in batches; a run cut short
// leaves a subset that a second ForgetRule finishes, and the rule state
// goes last so that a half-forgotten rule still looks connected.
func (s *Store) ForgetRule(ctx context.Context, rule string) error {
	rref := s.ruleRef(rule)
	var refs []*firestore.DocumentRef
	groups, err := rref.Collection(colGroups).Documents(ctx).GetAll()
	if err != nil {
		return fmt.Errorf("forget rule %s: %w", rule, err)
	}
	for _, g := range groups {
		r, err := withChunks(g)
		if err != nil {
			return fmt.Errorf("forget rule %s: %w", rule, err)
		}
		// Chunks before their header, so an interrupted run never leaves
		// a header whose chunks are gone.
		refs = append(refs, r[1:]...)
		refs = append(refs, r[0])
	}
	// Select() with no fields lists names only.
	owned, err := rref.Collection(colOwned).Select().Documents(ctx).GetAll()
	if err != nil {
		return fmt.Errorf("forget rule %s: %w", rule, err)
	}
	for _, o := range owned {
		refs = append(refs, o.Ref)
	}
	refs = append(refs, rref)

	for start := 0; start < len(refs); start += forgetBatch {
		batch := refs[start:min(start+forgetBatch, len(refs))]
		err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			docs, err := tx.GetAll(batch)
			if err != nil {
				return err
			}
			wrote := false
			for _, d := range docs {
				if !d.Exists() {
					continue
				}
				if err := tx.Delete(d.Ref); err != nil {
					return err
				}
				wrote = true
			}
			if !wrote {
				return errUnchanged
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("forget rule %s: %w", rule, err)
		}
	}
	return nil
}

// putIfChanged sets ref to data unless the stored document's sum field
// already equals sum.
func (s *Store) putIfChanged(ctx context.Context, ref *firestore.DocumentRef, data any, sum string) error {
	return s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		if old != nil && sum != "" {
			if v, err := old.DataAt("sum"); err == nil && v == sum {
				return errUnchanged
			}
		}
		return tx.Set(ref, data)
	})
}

// deleteIfExists deletes ref, writing nothing when it does not exist.
func (s *Store) deleteIfExists(ctx context.Context, ref *firestore.DocumentRef) error {
	return s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		if old == nil {
			return errUnchanged
		}
		return tx.Delete(ref)
	})
}
