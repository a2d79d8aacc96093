// Package storetest is the conformance suite for engine.Store. Every store
// implementation (bbolt, Firestore, the in-memory memstore) runs it from
// its own tests, so the engine can rely on the same semantics whichever
// store is configured.
//
// The suite only uses the engine.Store interface and never assumes anything
// about how a store lays out its data.
package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/engine"
)

// Run runs the conformance suite. open must return a fresh, empty store for
// each call; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) engine.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s engine.Store)
	}{
		{"SnapshotRoundTrip", testSnapshotRoundTrip},
		{"SnapshotLarge", testSnapshotLarge},
		{"SnapshotOverwrite", testSnapshotOverwrite},
		{"SnapshotsSorted", testSnapshotsSorted},
		{"DeleteSnapshot", testDeleteSnapshot},
		{"OwnedRoundTrip", testOwnedRoundTrip},
		{"OwnedIsolation", testOwnedIsolation},
		{"DeleteOwned", testDeleteOwned},
		{"RuleState", testRuleState},
		{"ForgetRule", testForgetRule},
		{"JobRoundTrip", testJobRoundTrip},
		{"CreateJobExists", testCreateJobExists},
		{"JobsNewestFirst", testJobsNewestFirst},
		{"UpdateJob", testUpdateJob},
		{"UpdateJobError", testUpdateJobError},
		{"UpdateJobNotFound", testUpdateJobNotFound},
		{"UpdateJobConcurrent", testUpdateJobConcurrent},
		{"RecordGroupResult", testRecordGroupResult},
		{"RecordGroupResultNotFound", testRecordGroupResultNotFound},
		{"RecordGroupResultConcurrent", testRecordGroupResultConcurrent},
		{"GroupResultsSorted", testGroupResultsSorted},
		{"CountResults", testCountResults},
		{"CreateRuleRun", testCreateRuleRun},
		{"UpdateRuleRun", testUpdateRuleRun},
		{"UpdateRuleRunNoChange", testUpdateRuleRunNoChange},
		{"UpdateRuleRunNotFound", testUpdateRuleRunNotFound},
		{"UpdateRuleRunConcurrent", testUpdateRuleRunConcurrent},
		{"PutStaged", testPutStaged},
		{"PutStagedConcurrent", testPutStagedConcurrent},
		{"DropStaged", testDropStaged},
		{"RunRecordsLarge", testRunRecordsLarge},
		{"Plans", testPlans},
		{"Lease", testLease},
		{"LeaseAcquireRelease", testLeaseAcquireRelease},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseConcurrent", testLeaseConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// cmpOpts compares stored values. Stores may lose sub-microsecond precision
// and time zones (Firestore keeps microseconds in UTC) and may return empty
// slices for nil ones.
var cmpOpts = []cmp.Option{
	cmpopts.EquateApproxTime(time.Microsecond),
	cmpopts.EquateEmpty(),
}

// t0 is a fixed instant in a non-UTC zone, so a store that mangles zones or
// instants shows up in comparisons.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("X", 2*3600))

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
