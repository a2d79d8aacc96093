package runmatrix_test

import (
	"testing"

	"github.com/groupsync/groupsync/internal/runmatrix"
)

// TestLocalRunner runs the matrix on the CLI's runner. functions'
// TestMatrix runs it on both runners, the cloud's on the emulators, and
// compares them.
func TestLocalRunner(t *testing.T) {
	runmatrix.Run(t, map[string]func(t *testing.T) (runmatrix.Runner, string){
		"local": func(t *testing.T) (runmatrix.Runner, string) {
			l := runmatrix.NewLocal(t)
			return l, l.StoreURL()
		},
	})
}
