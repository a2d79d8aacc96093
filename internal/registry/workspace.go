package registry

import (
	"context"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/source/workspace"
)

func newWorkspace(ctx context.Context, name string, cfg config.Source, env Env) (engine.Source, error) {
	wc := workspace.Config{
		Customer:       cfg.Customer,
		Domain:         cfg.Domain,
		AdminSubject:   cfg.AdminSubject,
		ServiceAccount: cfg.ServiceAccount,
		Endpoint:       cfg.Endpoint,
		TokenURL:       cfg.TokenURL,
		QPM:            cfg.QPM,
	}
	if schemas, ok := env.Profiles[name]; ok {
		wc.ReadProfile, wc.CustomSchemas = true, schemas
	}
	if err := resolveDelegation(ctx, env, cfg.Credentials, &wc); err != nil {
		return nil, err
	}
	return workspace.New(ctx, wc, env.Logger.With("source", name))
}
