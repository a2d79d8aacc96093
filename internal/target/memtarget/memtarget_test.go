package memtarget_test

import (
	"testing"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/target/memtarget"
	"github.com/groupsync/groupsync/internal/target/targettest"
)

func TestConformance(t *testing.T) {
	targettest.Run(t, targettest.Harness{
		New: func(t *testing.T, batchSize int) (engine.Target, targettest.State) {
			tg := memtarget.New()
			tg.BatchSize = batchSize
			return tg, tg
		},
	})
}
