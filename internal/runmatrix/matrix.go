package runmatrix

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Run runs every scenario on each runner, each on fresh stand-ins, and
// checks that the runners observed the same thing. newRunner returns a
// runner and the store line of its configs.
func Run(t *testing.T, runners map[string]func(t *testing.T) (Runner, string)) {
	for _, sc := range Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			seen := map[string]Observed{}
			for name, newRunner := range runners {
				t.Run(name, func(t *testing.T) {
					r, store := newRunner(t)
					seen[name] = sc.Run(t, NewEnv(t), r, store)
				})
			}
			var first string
			for name := range seen {
				if first == "" {
					first = name
					continue
				}
				if diff := cmp.Diff(seen[first], seen[name]); diff != "" {
					t.Errorf("runners disagree (-%s +%s):\n%s", first, name, diff)
				}
			}
		})
	}
}
