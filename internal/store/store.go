// Package store holds what every groupsync store shares: the errors callers
// test for, and the lease and merge rules as pure functions. The bbolt and
// Firestore stores call these inside their transactions, so the two cannot
// drift; internal/store/storetest proves each store applies them.
package store

import "errors"

// ErrNotFound is wrapped by lookups of jobs and rule runs that do not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped by creates whose key is taken.
var ErrExists = errors.New("already exists")
