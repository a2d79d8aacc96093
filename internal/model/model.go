// Package model holds groupsync's domain types: users, groups, memberships,
// snapshots, ownership records, plans and jobs. Everything is keyed by the
// source's immutable IDs, never by email. The package does no I/O.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// User is a directory user, keyed by the source's immutable ID.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	GivenName   string `json:"given_name,omitempty"`
	FamilyName  string `json:"family_name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Suspended   bool   `json:"suspended,omitempty"`
	// PasswordHash is the source's password hash as LDAP stores it
	// (userPassword, e.g. "{CRYPT}$6$…", "{SHA}…"), for targets that can
	// set it (Workspace). It is never written to jobs, plans or snapshots.
	PasswordHash string `json:"-"`

	// Mapped attributes, set by rules[].mapping (empty: the target's
	// default). Manager is the manager's target ID: the engine resolves
	// the mapped source ID through the rule's owned users.
	UserName       string `json:"user_name,omitempty"`
	Title          string `json:"title,omitempty"`
	Department     string `json:"department,omitempty"`
	CostCenter     string `json:"cost_center,omitempty"`
	EmployeeNumber string `json:"employee_number,omitempty"`
	Manager        string `json:"manager,omitempty"`

	// Profile is what the source read beyond the fields above, the input
	// of mapping templates; nil when no rule maps the source's users. It
	// is never stored: the mapped values are.
	Profile *Profile `json:"-"`
}

// Profile is a user's directory attributes that only mapping templates
// read. Sources fill what they have.
type Profile struct {
	// The primary organization (Workspace organizations[]).
	Organization string
	Title        string
	Department   string
	CostCenter   string
	// ExternalIDs by type ("organization" is the employee ID; custom
	// types by their custom name).
	ExternalIDs map[string]string
	// ManagerEmail is the manager's address (Workspace relations[]).
	ManagerEmail string
	// Custom holds custom-schema fields by schema and field name.
	Custom map[string]map[string]any
}

// GroupInfo describes a group without its members.
type GroupInfo struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// DisplayName is the displayName rules[].mapping gives the group in
	// the target (empty: the target's default, the email for SCIM).
	DisplayName string `json:"display_name,omitempty"`
}

// Member is one resolved (flattened) user member of a group. Email is what
// the member listing said; the user directory is authoritative when it knows
// the ID.
type Member struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// MemberOptions says which members of a group a rule wants.
type MemberOptions struct {
	// Types lists the member types to keep (USER, GROUP's users when
	// flattening). Empty means USER.
	Types []string `json:"types,omitempty"`
	// Nested is "flatten" (default) to include nested groups' users, or
	// "direct" to ignore nested groups.
	Nested string `json:"nested,omitempty"`
	// IncludeSuspended keeps suspended members.
	IncludeSuspended bool `json:"include_suspended,omitempty"`
}

// Kinds says what a source keeps of a group's members: direct users when
// Types is empty or lists USER, and nested groups' users unless Nested is
// "direct". Every source reads options the same way.
func (o MemberOptions) Kinds() (keepUsers, flatten bool) {
	keepUsers = len(o.Types) == 0
	for _, t := range o.Types {
		if strings.EqualFold(t, "USER") {
			keepUsers = true
		}
	}
	return keepUsers, !strings.EqualFold(o.Nested, "direct")
}

// Membership is a group's flattened user membership as read from a source.
//
// Incomplete is set when any page or nested group could not be read: the
// plan must then remove nothing from the group (fail closed). It must never
// look like an empty group.
type Membership struct {
	Group      GroupInfo  `json:"group"`
	Members    []Member   `json:"members"`
	Incomplete bool       `json:"incomplete,omitempty"`
	Problems   []string   `json:"problems,omitempty"`
	Cycles     [][]string `json:"cycles,omitempty"`
	// Calls is the number of API calls the read took, retries included.
	Calls int `json:"calls,omitempty"`
	// Nested lists the IDs and emails of the groups flattened into this
	// one, so a hinted run can tell that a change to one of them changes
	// this group too (audit events name only the group changed).
	Nested []string `json:"nested,omitempty"`
	// Hash, when set, is the hash of a group a hinted run did not read:
	// its snapshot's members stand for the desired ones, and the plan
	// keeps this hash instead of recomputing it from user records the run
	// did not read.
	Hash string `json:"hash,omitempty"`
}

// MemberIDs returns the sorted, de-duplicated member IDs.
func (m Membership) MemberIDs() []string {
	ids := make([]string, 0, len(m.Members))
	seen := make(map[string]bool, len(m.Members))
	for _, mem := range m.Members {
		if mem.ID == "" || seen[mem.ID] {
			continue
		}
		seen[mem.ID] = true
		ids = append(ids, mem.ID)
	}
	sort.Strings(ids)
	return ids
}

// NormalizeEmail trims and lower-cases an address so that comparisons are
// case-insensitive, as the identity contract requires.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// Snapshot is the state groupsync last applied to a target for one group of
// one rule. MemberIDs are source user IDs. Hash covers everything that would
// be written (group attributes, member IDs and the members' user attributes),
// so a rename changes the hash even when membership does not. An empty Hash
// means the last apply was partial and the group must be planned again.
type Snapshot struct {
	Rule      string    `json:"rule"`
	GroupID   string    `json:"group_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	MemberIDs []string  `json:"member_ids"`
	Hash      string    `json:"hash"`
	Updated   time.Time `json:"updated"`
}

// Kinds of owned objects.
const (
	KindUser  = "user"
	KindGroup = "group"
)

// Owned records a target object that groupsync created or adopted for a
// rule. Only owned objects are ever removed, disabled or deleted.
type Owned struct {
	Rule     string `json:"rule"`
	Kind     string `json:"kind"`
	SourceID string `json:"source_id"`
	TargetID string `json:"target_id"`
	// Created is true when groupsync created the object, false when adopted.
	Created bool `json:"created"`
	// Last attributes written, to detect renames without reading the target.
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Active bool   `json:"active"`
	// Hash of the attributes last written: UserHash for users,
	// DisplayHash for groups.
	Hash    string    `json:"hash,omitempty"`
	Updated time.Time `json:"updated"`
}

// RuleState is per-rule bookkeeping kept across runs.
type RuleState struct {
	Rule string `json:"rule"`
	// LastScope is the number of groups in scope at the last complete run,
	// for the scope-drop hold.
	LastScope   int       `json:"last_scope"`
	LastJob     string    `json:"last_job,omitempty"`
	LastUpdated time.Time `json:"last_updated"`
	// HintWatermark is where the last clean run left the change hints:
	// the next hinted run reads the audit log from here, less the
	// source's overlap.
	HintWatermark time.Time `json:"hint_watermark,omitzero"`
	// LastFull is when the last clean full reconcile started.
	LastFull time.Time `json:"last_full,omitzero"`
	// Nested holds the IDs and emails of groups flattened into the rule's
	// groups at the last full reconcile: a hint naming one of them makes
	// the run full, since the groups it is nested in are not named.
	Nested []string `json:"nested,omitempty"`
	// Config is the fingerprint of the rule's config at the last full
	// reconcile: a changed rule (scope, members, policy, mapping) is
	// read in full before it runs on hints again.
	Config string `json:"config,omitempty"`
}

// HashStrings returns the hex SHA-256 of the parts, each terminated by a
// zero byte so that ("ab","c") and ("a","bc") differ.
func HashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// UserHash hashes the attributes of a user that a target stores.
func UserHash(u User) string {
	var buf [2 * sha256.Size]byte
	return string(AppendUserHash(buf[:0], u))
}

// AppendUserHash appends UserHash(u) (hex) to dst: planning a million
// memberships hashes every user, and this allocates nothing.
func AppendUserHash(dst []byte, u User) []byte {
	s := "0"
	if u.Suspended {
		s = "1"
	}
	var in [512]byte
	buf := in[:0]
	write := func(p string) { buf = append(append(buf, p...), 0) }
	for _, p := range [...]string{u.ID, NormalizeEmail(u.Email), u.GivenName, u.FamilyName, u.DisplayName, s} {
		write(p)
	}
	// Mapped attributes join the hash only when set, so users of rules
	// without a mapping keep the hashes they had.
	mapped := [...]string{u.UserName, u.Title, u.Department, u.CostCenter, u.EmployeeNumber, u.Manager}
	for _, m := range mapped {
		if m != "" {
			write("mapped")
			for _, p := range mapped {
				write(p)
			}
			break
		}
	}
	sum := sha256.Sum256(buf)
	return hex.AppendEncode(dst, sum[:])
}

// DisplayHash is what an owned group's Hash records: its mapped
// displayName, hashed, or "" when it has none (as before mappings), so a
// displayName mapping that equals the group's name still updates it.
func DisplayHash(g GroupInfo) string {
	if g.DisplayName == "" {
		return ""
	}
	return HashStrings("display", g.DisplayName)
}

// GroupHash hashes a group's attributes, its sorted member IDs and the
// attributes of those members (looked up in users; unknown IDs hash by ID).
func GroupHash(g GroupInfo, memberIDs []string, users map[string]User) string {
	ids := append([]string(nil), memberIDs...)
	sort.Strings(ids)
	parts := make([]string, 0, len(ids)+3)
	parts = append(parts, g.ID, NormalizeEmail(g.Email), g.Name)
	for _, id := range ids {
		if u, ok := users[id]; ok {
			parts = append(parts, UserHash(u))
		} else {
			parts = append(parts, id)
		}
	}
	return HashStrings(parts...)
}
