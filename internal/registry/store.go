package registry

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/store/bolt"
)

// OpenStore opens the store the config names. Firestore stores are opened
// by the cloud runtime, which links the Firestore client; the CLI sets
// OpenFirestore when it supports them too.
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
		if OpenFirestore == nil {
			return nil, fmt.Errorf("%s: store: firestore is not available in this build", f.Path)
		}
		return OpenFirestore(ctx, ref.Project, ref.Database)
	}
	return nil, fmt.Errorf("%s: store: unsupported kind %q", f.Path, ref.Kind)
}

// OpenFirestore opens a Firestore store; set by packages that link it.
var OpenFirestore func(ctx context.Context, project, database string) (engine.Store, error)
