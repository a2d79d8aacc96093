package config

import (
	"strings"

	"github.com/groupsync/groupsync/internal/plan"
)

// Defaults filled in by Load.
const (
	DefaultStore        = "bolt://./groupsync.db"
	DefaultQPM          = 2400
	DefaultCustomer     = "my_customer"
	DefaultBatchSize    = 100
	DefaultMaxDeletes   = "10%"
	DefaultMaxScopeDrop = "20%"
)

// Source and target types, member options and the keyless credential.
const (
	TypeWorkspace      = "workspace"
	TypeSCIM           = "scim"
	NestedFlatten      = "flatten"
	NestedDirect       = "direct"
	MemberUser         = "USER"
	CredentialsKeyless = "keyless"
)

func (f *File) applyDefaults() {
	if f.Store == "" {
		f.Store = DefaultStore
	}
	for name, s := range f.Sources {
		if s.Type == TypeLDAP {
			f.Sources[name] = s.withLDAPDefaults()
			continue
		}
		if s.QPM == 0 {
			s.QPM = DefaultQPM
		}
		if s.Customer == "" && s.Domain == "" {
			s.Customer = DefaultCustomer
		}
		f.Sources[name] = s
	}
	for name, t := range f.Targets {
		if t.Type == TypeWorkspace {
			f.Targets[name] = t.withWorkspaceDefaults()
			continue
		}
		if t.BatchSize == 0 {
			t.BatchSize = DefaultBatchSize
		}
		f.Targets[name] = t
	}
	for i := range f.Rules {
		r := &f.Rules[i]
		r.Members = r.Members.withDefaults()
		r.Policy = r.Policy.withDefaults()
	}
}

func (m MemberOptions) withDefaults() MemberOptions {
	if len(m.Types) == 0 {
		m.Types = []string{MemberUser}
	} else {
		types := make([]string, len(m.Types))
		for i, t := range m.Types {
			types[i] = strings.ToUpper(strings.TrimSpace(t))
		}
		m.Types = types
	}
	if m.Nested == "" {
		m.Nested = NestedFlatten
	}
	return m
}

func (p Policy) withDefaults() Policy {
	if p.Mode == "" {
		p.Mode = string(plan.ModeSync)
	}
	if p.Deprovision == "" {
		p.Deprovision = string(plan.DeprovisionDisable)
	}
	if p.MaxDeletes == "" {
		p.MaxDeletes = DefaultMaxDeletes
	}
	if p.MaxDeletesPerGroup == "" {
		p.MaxDeletesPerGroup = p.MaxDeletes
	}
	if p.MaxScopeDrop == "" {
		p.MaxScopeDrop = DefaultMaxScopeDrop
	}
	if p.CreateMissingUsers == nil {
		t := true
		p.CreateMissingUsers = &t
	}
	return p
}
