package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Store kinds.
const (
	StoreBolt      = "bolt"
	StoreFirestore = "firestore"
)

// StoreRef is a parsed store URL.
type StoreRef struct {
	Kind string // StoreBolt or StoreFirestore
	// Path is the bbolt file (bolt only).
	Path string
	// Project and Database name the Firestore database (firestore only).
	Project  string
	Database string
}

// ParseStore parses bolt://PATH or firestore://projects/P/databases/D.
// A relative bolt path is returned as written.
func ParseStore(s string) (StoreRef, error) {
	switch {
	case strings.HasPrefix(s, "bolt://"):
		p := strings.TrimPrefix(s, "bolt://")
		if p == "" {
			return StoreRef{}, fmt.Errorf("%q has no file path (want bolt://PATH)", s)
		}
		return StoreRef{Kind: StoreBolt, Path: p}, nil
	case strings.HasPrefix(s, "firestore://"):
		parts := strings.Split(strings.TrimPrefix(s, "firestore://"), "/")
		if len(parts) != 4 || parts[0] != "projects" || parts[2] != "databases" || parts[1] == "" || parts[3] == "" {
			return StoreRef{}, fmt.Errorf("%q is not firestore://projects/P/databases/D", s)
		}
		return StoreRef{Kind: StoreFirestore, Project: parts[1], Database: parts[3]}, nil
	}
	return StoreRef{}, fmt.Errorf("%q is not a store URL (want bolt://PATH or firestore://projects/P/databases/D)", s)
}

// ResolveStore returns the store's kind and location: the bbolt file path
// (absolute after Load) or "projects/P/databases/D".
func ResolveStore(f *File) (scheme, location string, err error) {
	ref, err := ParseStore(f.Store)
	if err != nil {
		return "", "", fmt.Errorf("%s: store: %w", f.Path, err)
	}
	if ref.Kind == StoreBolt {
		return ref.Kind, ref.Path, nil
	}
	return ref.Kind, "projects/" + ref.Project + "/databases/" + ref.Database, nil
}

// anchorStore makes a relative bolt path relative to the config file's
// directory rather than to wherever the command happens to run.
func (f *File) anchorStore() error {
	ref, err := ParseStore(f.Store)
	if err != nil || ref.Kind != StoreBolt || filepath.IsAbs(ref.Path) {
		return nil
	}
	dir, err := filepath.Abs(f.Dir())
	if err != nil {
		return fmt.Errorf("%s: store: %w", f.Path, err)
	}
	f.Store = "bolt://" + filepath.Join(dir, ref.Path)
	return nil
}
