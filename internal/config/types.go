// Package config loads and validates the groupsync config file (the YAML
// contract documented in README.md) and resolves secret references (env://, file://,
// secret://).
package config

import (
	"time"

	"github.com/groupsync/groupsync/internal/mapping"
)

// File is a whole config file.
type File struct {
	// Path is where the file was read from, for error messages.
	Path     string            `yaml:"-"`
	Store    string            `yaml:"store"`
	Sources  map[string]Source `yaml:"sources"`
	Targets  map[string]Target `yaml:"targets"`
	Rules    []Rule            `yaml:"rules"`
	Schedule string            `yaml:"schedule"`
}

// Source configures a directory to read from.
type Source struct {
	Type         string `yaml:"type"` // workspace | ldap
	Customer     string `yaml:"customer"`
	Domain       string `yaml:"domain"`
	AdminSubject string `yaml:"admin_subject"`
	// Credentials is a secret reference to a service-account key, or
	// "keyless" for signJwt through IAM Credentials.
	Credentials string `yaml:"credentials"`
	// ServiceAccount is the runtime service account email for keyless DWD.
	ServiceAccount string `yaml:"service_account"`
	Endpoint       string `yaml:"endpoint"`
	// TokenURL overrides the OAuth token endpoint (tests, emulators).
	TokenURL string `yaml:"token_url"`
	QPM      int    `yaml:"qpm"`

	// Keys of type ldap (defaults and validation in ldap.go).
	URL         string         `yaml:"url"`
	BindDN      string         `yaml:"bind_dn"`
	Password    string         `yaml:"password"` // secret reference
	BaseDN      string         `yaml:"base_dn"`
	UserFilter  string         `yaml:"user_filter"`
	GroupFilter string         `yaml:"group_filter"`
	Scope       string         `yaml:"scope"` // sub (default) | one
	PageSize    int            `yaml:"page_size"`
	StartTLS    bool           `yaml:"start_tls"`
	TLS         LDAPTLS        `yaml:"tls"`
	Flavor      string         `yaml:"flavor"` // openldap (default) | ad
	Attributes  LDAPAttributes `yaml:"attributes"`
	// InChain reads AD groups' nested members with the in-chain matching
	// rule instead of flattening locally.
	InChain        bool          `yaml:"in_chain"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	Timeout        time.Duration `yaml:"timeout"` // per LDAP operation
}

// Target configures a system to write to.
type Target struct {
	Type  string `yaml:"type"` // scim | workspace
	URL   string `yaml:"url"`
	Token string `yaml:"token"` // secret reference
	// BatchSize is the number of member changes per PATCH (default 100).
	BatchSize int `yaml:"batch_size"`
	// RPM paces requests to this many a minute (0: no pacing).
	RPM int `yaml:"rpm"`

	// Type workspace (see workspace_target.go): the connection keys as
	// for a workspace source, and how objects are named in Google.
	Customer       string            `yaml:"customer"`
	AdminSubject   string            `yaml:"admin_subject"`
	Credentials    string            `yaml:"credentials"`
	ServiceAccount string            `yaml:"service_account"`
	Endpoint       string            `yaml:"endpoint"`
	TokenURL       string            `yaml:"token_url"`
	QPM            int               `yaml:"qpm"`
	UserEmail      string            `yaml:"user_email"`
	GroupEmail     string            `yaml:"group_email"`
	DomainMap      map[string]string `yaml:"domain_map"`
	OrgUnit        string            `yaml:"org_unit"`
}

// Rule maps groups of one source to one target.
type Rule struct {
	Name    string        `yaml:"name"`
	Source  string        `yaml:"source"`
	Target  string        `yaml:"target"`
	Groups  GroupFilter   `yaml:"groups"`
	Members MemberOptions `yaml:"members"`
	Policy  Policy        `yaml:"policy"`
	// Mapping computes the attributes written to the target (templates).
	Mapping mapping.Spec `yaml:"mapping"`
	// FullEvery is how often a run reads everything when the source gives
	// change hints (a Go duration; default 24h; "0s": every run is full).
	FullEvery string `yaml:"full_every"`
}

// GroupFilter selects groups by email glob (path.Match syntax, matched
// case-insensitively). Empty Include means every group.
type GroupFilter struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// MemberOptions selects members.
type MemberOptions struct {
	Types            []string `yaml:"types"`  // USER (default)
	Nested           string   `yaml:"nested"` // flatten (default) | direct
	IncludeSuspended bool     `yaml:"include_suspended"`
}

// Policy is a rule's safety policy. Defaults are filled in by Load.
type Policy struct {
	Mode               string `yaml:"mode"` // sync (default) | add-only | remove-only
	DryRun             bool   `yaml:"dry_run"`
	NoCreate           bool   `yaml:"no_create"`
	NoUpdate           bool   `yaml:"no_update"`
	NoDelete           bool   `yaml:"no_delete"`
	Deprovision        string `yaml:"deprovision"` // disable (default) | delete | none
	CreateAsDisabled   bool   `yaml:"create_as_disabled"`
	CreateMissingUsers *bool  `yaml:"create_missing_users"` // default true
	AdoptExisting      bool   `yaml:"adopt_existing"`
	// MaxDeletes limits removals+disables+deletes per run and per group:
	// a count ("50", 50) or a percentage ("10%"). Default 10%.
	MaxDeletes string `yaml:"max_deletes"`
	// MaxDeletesPerGroup overrides MaxDeletes for the per-group limit.
	MaxDeletesPerGroup string `yaml:"max_deletes_per_group"`
	// MaxScopeDrop holds the run when the groups in scope fall by more
	// than this since the last complete run. Default 20%.
	MaxScopeDrop string `yaml:"max_scope_drop"`
}
