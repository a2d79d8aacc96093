// Package groupsync is the root package the Cloud Functions Go buildpack
// compiles: it only links the function registrations of package functions
// (Dispatch, SyncGroup, Sync). The CLI is cmd/groupsync. Keep _test.go
// files out of this directory: the buildpack compiles every .go file here
// as one package.
package groupsync

import _ "github.com/groupsync/groupsync/functions"
