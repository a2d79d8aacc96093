package firestore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"cloud.google.com/go/firestore"
)

// Jobs, results, runs, staged reads and plans are stored as JSON in a "json" field, next
// to a few plain fields for queries, the console and TTL. A value whose
// JSON is too big for one document (a plan that creates 50,000 users, a
// first sync adding a 100,000-member group) is gzipped and split into
// parts/{n} documents, and "parts" holds their count.
const (
	inlineMax = 256 << 10
	partSize  = 768 << 10
)

const (
	fieldJSON  = "json"
	fieldParts = "parts"
)

// getAllFunc fetches documents, inside a transaction or not.
type getAllFunc func([]*firestore.DocumentRef) ([]*firestore.DocumentSnapshot, error)

func partRef(doc *firestore.DocumentRef, n int) *firestore.DocumentRef {
	return doc.Collection(colParts).Doc(strconv.Itoa(n))
}

// encodeRecord adds v's encoding to fields and returns the spilled parts.
func encodeRecord(fields map[string]any, v any) ([][]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(data) <= inlineMax {
		fields[fieldJSON] = string(data)
		fields[fieldParts] = 0
		return nil, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	var parts [][]byte
	for z := buf.Bytes(); len(z) > 0; {
		n := min(partSize, len(z))
		parts = append(parts, z[:n])
		z = z[n:]
	}
	fields[fieldParts] = len(parts)
	return parts, nil
}

// setRecord writes fields plus v to ref in tx, replacing a previous record
// that had oldParts parts.
func setRecord(tx *firestore.Transaction, ref *firestore.DocumentRef, fields map[string]any, v any, oldParts int) error {
	parts, err := encodeRecord(fields, v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", ref.Path, err)
	}
	if err := tx.Set(ref, fields); err != nil {
		return err
	}
	for n, p := range parts {
		part := map[string]any{"data": p}
		// Parts expire with their record: TTL deletes documents, not
		// subcollections.
		if exp, ok := fields["expires"]; ok {
			part["expires"] = exp
		}
		if err := tx.Set(partRef(ref, n), part); err != nil {
			return err
		}
	}
	for n := len(parts); n < oldParts; n++ {
		if err := tx.Delete(partRef(ref, n)); err != nil {
			return err
		}
	}
	return nil
}

// partsOf returns how many parts a record has; none when doc is nil.
func partsOf(doc *firestore.DocumentSnapshot) int {
	if doc == nil {
		return 0
	}
	v, err := doc.DataAt(fieldParts)
	if err != nil {
		return 0
	}
	n, _ := v.(int64)
	return int(n)
}

// decodeRecords decodes each document's JSON into a new T, fetching spilled
// parts with getAll.
func decodeRecords[T any](getAll getAllFunc, docs []*firestore.DocumentSnapshot) ([]T, error) {
	out := make([]T, len(docs))
	for i, doc := range docs {
		n := partsOf(doc)
		if n == 0 {
			s, err := doc.DataAt(fieldJSON)
			if err != nil {
				return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
			}
			str, _ := s.(string)
			if err := json.Unmarshal([]byte(str), &out[i]); err != nil {
				return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
			}
			continue
		}
		refs := make([]*firestore.DocumentRef, n)
		for k := range refs {
			refs[k] = partRef(doc.Ref, k)
		}
		parts, err := getAll(refs)
		if err != nil {
			return nil, err
		}
		var z []byte
		for _, p := range parts {
			if !p.Exists() {
				return nil, fmt.Errorf("%s is missing", p.Ref.Path)
			}
			v, err := p.DataAt("data")
			if err != nil {
				return nil, fmt.Errorf("decode %s: %w", p.Ref.Path, err)
			}
			b, _ := v.([]byte)
			z = append(z, b...)
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
		}
		if err := json.Unmarshal(data, &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
		}
	}
	return out, nil
}
