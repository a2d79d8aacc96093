package registry

import (
	"context"
	"strings"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/source/ldap"
)

func newLDAP(ctx context.Context, name string, cfg config.Source, env Env) (engine.Source, error) {
	lc := ldap.Config{
		URL:              cfg.URL,
		StartTLS:         cfg.StartTLS,
		ServerName:       cfg.TLS.ServerName,
		BindDN:           cfg.BindDN,
		BaseDN:           cfg.BaseDN,
		OneLevel:         cfg.Scope == config.ScopeOne,
		UserFilter:       cfg.UserFilter,
		GroupFilter:      cfg.GroupFilter,
		PageSize:         cfg.PageSize,
		IDAttrs:          alternatives(cfg.Attributes.ID),
		EmailAttrs:       alternatives(cfg.Attributes.Email),
		GivenNameAttrs:   alternatives(cfg.Attributes.GivenName),
		FamilyNameAttrs:  alternatives(cfg.Attributes.FamilyName),
		DisplayNameAttrs: alternatives(cfg.Attributes.DisplayName),
		DisabledAttrs:    alternatives(cfg.Attributes.Disabled),
		PasswordAttrs:    alternatives(cfg.Attributes.PasswordHash),
		InChain:          cfg.InChain,
		ConnectTimeout:   cfg.ConnectTimeout,
		Timeout:          cfg.Timeout,
	}
	if cfg.Password != "" {
		pw, err := env.Resolver.Resolve(ctx, cfg.Password)
		if err != nil {
			return nil, err
		}
		lc.Password = pw
	}
	if cfg.TLS.CAFile != "" {
		ca, err := env.Resolver.Resolve(ctx, cfg.TLS.CAFile)
		if err != nil {
			return nil, err
		}
		lc.CAPEM = []byte(ca)
	}
	return ldap.New(lc, env.Logger.With("source", name))
}

// alternatives splits a config attribute list ("userPrincipalName|mail").
func alternatives(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}
