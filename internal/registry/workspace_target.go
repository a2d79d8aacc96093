package registry

import (
	"context"
	"strings"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	wsource "github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/target/workspace"
)

func newWorkspaceTarget(ctx context.Context, name string, cfg config.Target, env Env) (engine.Target, error) {
	dc := wsource.Config{
		Customer:       cfg.Customer,
		AdminSubject:   cfg.AdminSubject,
		ServiceAccount: cfg.ServiceAccount,
		Endpoint:       cfg.Endpoint,
		TokenURL:       cfg.TokenURL,
		QPM:            cfg.QPM,
	}
	if err := resolveDelegation(ctx, env, cfg.Credentials, &dc); err != nil {
		return nil, err
	}
	return workspace.New(ctx, workspace.Config{
		Directory:  dc,
		UserEmail:  cfg.UserEmail,
		GroupEmail: cfg.GroupEmail,
		DomainMap:  cfg.DomainMap,
		OrgUnit:    cfg.OrgUnit,
		BatchSize:  cfg.BatchSize,
	}, env.Logger.With("target", name))
}

// resolveDelegation sets a workspace source's or target's credentials:
// keyless, or the resolved key reference.
func resolveDelegation(ctx context.Context, env Env, credentials string, dc *wsource.Config) error {
	if strings.EqualFold(credentials, config.CredentialsKeyless) {
		dc.Keyless = true
		return nil
	}
	key, err := env.Resolver.Resolve(ctx, credentials)
	if err != nil {
		return err
	}
	dc.Credentials = []byte(key)
	return nil
}
