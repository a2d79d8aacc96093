package memstore_test

import (
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/store/memstore"
	"github.com/groupsync/groupsync/internal/store/storetest"
)

var _ engine.Store = (*memstore.Store)(nil)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) engine.Store { return memstore.New() })
}

func TestWrites(t *testing.T) {
	storetest.RunWrites(t, func(t *testing.T) storetest.WriteCounter { return memstore.New() })
}

func TestLeaseClock(t *testing.T) {
	storetest.RunLeaseClock(t, func(t *testing.T) (engine.Store, func(func() time.Time)) {
		s := memstore.New()
		return s, s.SetClock
	})
}
