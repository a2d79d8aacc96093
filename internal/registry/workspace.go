package registry

import (
	"context"
	"strings"

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
	if strings.EqualFold(cfg.Credentials, config.CredentialsKeyless) {
		wc.Keyless = true
	} else {
		key, err := env.Resolver.Resolve(ctx, cfg.Credentials)
		if err != nil {
			return nil, err
		}
		wc.Credentials = []byte(key)
	}
	return workspace.New(ctx, wc, env.Logger.With("source", name))
}
