// Package target holds the vocabulary that target drivers (SCIM, …) share
// with the engine: create options, results and sentinel errors.
package target

import (
	"errors"

	"github.com/groupsync/groupsync/internal/model"
)

// ErrConflict: an object with the same userName/displayName exists in the
// target, groupsync does not own it, and the rule does not adopt.
var ErrConflict = errors.New("target object exists and is not owned by groupsync")

// ErrNotFound: the target object does not exist (e.g. deleted by hand).
var ErrNotFound = errors.New("target object not found")

// CreateOptions controls creation.
type CreateOptions struct {
	// Active is the initial active flag (false for create_as_disabled).
	Active bool
	// Adopt an existing object with the same name instead of failing.
	Adopt bool
}

// Created is the outcome of a create.
type Created struct {
	ID string
	// Adopted is true when an existing object was taken over because the
	// rule adopts existing objects.
	Adopted bool
	// TakenOver is true when an existing object carried the source ID as
	// its externalId: groupsync created it and lost the record (a crash
	// between the create and recording ownership), so it takes the object
	// back as its own, with or without Adopt. It is never set with Adopted.
	TakenOver bool
	// Note is what the job should tell about the create that is not an
	// error (a password hash the target could not take).
	Note string
}

// UserCreate is one user to create and how.
type UserCreate struct {
	User model.User
	Opts CreateOptions
}

// CreateResult is the outcome of one create of a batch.
type CreateResult struct {
	Created
	Err error
}
