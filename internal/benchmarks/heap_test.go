package benchmarks

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// heapMetric is the bytes of heap objects, live or not yet swept: what
// runtime.MemStats.HeapAlloc reports, read without stopping the world.
const heapMetric = "/memory/classes/heap/objects:bytes"

// heapEvery is how often the sampler reads the heap during a sync.
const heapEvery = 2 * time.Millisecond

// heapPeak is the heap around one sync. Base is the live heap after a
// forced GC just before the sync: mostly the two in-process fakes' state
// (the directory and the SCIM server), which a real deployment does not
// hold. Peak is the largest heap seen during the sync, garbage not yet
// collected included, so it moves with GOGC.
type heapPeak struct {
	base, peak uint64
}

type heapSampler struct {
	done chan struct{}
	out  chan heapPeak
}

// startHeapSampler collects garbage, then samples the heap every heapEvery
// until stop.
func startHeapSampler() *heapSampler {
	runtime.GC()
	s := &heapSampler{done: make(chan struct{}), out: make(chan heapPeak, 1)}
	sample := []metrics.Sample{{Name: heapMetric}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	hp := heapPeak{base: read()}
	hp.peak = hp.base
	go func() {
		t := time.NewTicker(heapEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				hp.peak = max(hp.peak, read())
			case <-s.done:
				hp.peak = max(hp.peak, read())
				s.out <- hp
				return
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() heapPeak {
	close(s.done)
	return <-s.out
}
