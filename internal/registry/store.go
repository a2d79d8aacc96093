package registry

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/store/bolt"
	"github.com/groupsync/groupsync/internal/store/firestore"
)

// OpenStore opens the store the config names: a bbolt file or Firestore
// (whose client honours FIRESTORE_EMULATOR_HOST).
func OpenStore(ctx context.Context, f *config.File) (engine.Store, error) {
	ref, err := config.ParseStore(f.Store)
	if err != nil {
		return nil, fmt.Errorf("%s: store: %w", f.Path, err)
	}
	switch ref.Kind {
	case config.StoreBolt:
		s, err := bolt.Open(ref.Path)
		if err != nil {
			return nil, err
		}
		return s, nil
	case config.StoreFirestore:
		s, err := firestore.New(ctx, ref.Project, ref.Database)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s: store: unsupported kind %q", f.Path, ref.Kind)
}
