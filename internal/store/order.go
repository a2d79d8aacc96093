package store

import (
	"cmp"

	"github.com/groupsync/groupsync/internal/model"
)

// CompareResults orders a job's results as every store lists them: by
// rule, then group email, then group ID.
func CompareResults(a, b model.GroupResult) int {
	return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Email, b.Email), cmp.Compare(a.GroupID, b.GroupID))
}
