package chaos

import (
	"math/rand/v2"
	"sync"
)

// randomKills kills the instance at a random share of writes, before or
// after the write lands, for storetest.Faulty.
func randomKills(rng *rand.Rand, rate float64, st *stats) func() (bool, bool) {
	var mu sync.Mutex
	return func() (bool, bool) {
		mu.Lock()
		kill, after := rng.Float64() < rate, rng.IntN(2) == 0
		mu.Unlock()
		switch {
		case kill && after:
			st.add("kill after a write landed")
		case kill:
			st.add("kill before a write")
		}
		return kill, after
	}
}
