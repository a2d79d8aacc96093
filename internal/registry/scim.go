package registry

import (
	"context"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/target/scim"
)

func newSCIM(ctx context.Context, name string, cfg config.Target, env Env) (engine.Target, error) {
	token, err := env.Resolver.Resolve(ctx, cfg.Token)
	if err != nil {
		return nil, err
	}
	return scim.New(ctx, scim.Config{
		URL:       cfg.URL,
		Token:     token,
		BatchSize: cfg.BatchSize,
		RPM:       cfg.RPM,
	}, env.Logger.With("target", name))
}
