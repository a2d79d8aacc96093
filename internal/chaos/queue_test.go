package chaos

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/groupsync/groupsync/internal/engine"
)

// chaosQueue delivers steps the way a bad day on Pub/Sub does: in random
// order, some twice, and some to an instance that dies (the step's store
// writes fail part-way, see storetest.Faulty) so they are redelivered.
type chaosQueue struct {
	rng   *rand.Rand
	dup   float64
	stats *stats

	mu    sync.Mutex
	steps []engine.Step
}

func (q *chaosQueue) Publish(_ context.Context, steps ...engine.Step) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, s := range steps {
		q.steps = append(q.steps, s)
		if q.rng.Float64() < q.dup {
			q.steps = append(q.steps, s)
			q.stats.add("duplicate delivery")
		}
	}
	return nil
}

// drain delivers every step, retrying those that ask for it (bounded, as
// a subscription's retry policy is), and returns the final errors.
func (q *chaosQueue) drain(ctx context.Context, e *engine.Engine) []error {
	var final []error
	tries := map[int]int{}
	for n := 0; ; n++ {
		q.mu.Lock()
		if len(q.steps) == 0 {
			q.mu.Unlock()
			return final
		}
		i := q.rng.IntN(len(q.steps))
		if i != 0 {
			q.stats.add("out-of-order delivery")
		}
		s := q.steps[i]
		q.steps = append(q.steps[:i], q.steps[i+1:]...)
		q.mu.Unlock()
		err := e.Handle(ctx, s)
		if errors.Is(err, engine.ErrRetry) && tries[n] < 50 {
			q.stats.add("redelivery after a retryable failure")
			q.mu.Lock()
			q.steps = append(q.steps, s)
			q.mu.Unlock()
			continue
		}
		if err != nil && !errors.Is(err, engine.ErrSuperseded) {
			final = append(final, err)
		}
	}
}
