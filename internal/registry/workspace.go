package registry

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
)

func newWorkspace(ctx context.Context, name string, cfg config.Source, env Env) (engine.Source, error) {
	return nil, fmt.Errorf("the workspace source is not linked yet")
}
