package scim

import (
	"encoding/json"
	"strings"
)

// Schema URNs.
const (
	schemaUser    = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

type name struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Formatted  string `json:"formatted,omitempty"`
}

type email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type meta struct {
	Version string `json:"version,omitempty"`
}

// flexBool decodes true, "true", "True" and the like: Entra-style servers
// send booleans as strings.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	s := strings.ToLower(strings.Trim(string(p), `"`))
	*b = s == "true"
	return nil
}

// user is the SCIM User the client writes and reads.
type user struct {
	Schemas     []string `json:"schemas,omitempty"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	UserName    string   `json:"userName"`
	DisplayName string   `json:"displayName,omitempty"`
	Name        *name    `json:"name,omitempty"`
	Emails      []email  `json:"emails,omitempty"`
	Active      flexBool `json:"active"`
	Meta        *meta    `json:"meta,omitempty"`
}

type member struct {
	Value string `json:"value"`
}

// group is the SCIM Group the client writes and reads.
type group struct {
	Schemas     []string `json:"schemas,omitempty"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []member `json:"members,omitempty"`
	Meta        *meta    `json:"meta,omitempty"`
}

type listResponse struct {
	TotalResults *int              `json:"totalResults"`
	StartIndex   int               `json:"startIndex"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
	// NextCursor is set by providers that page by cursor.
	NextCursor string `json:"nextCursor"`
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

func newPatch(ops ...patchOp) patchRequest {
	return patchRequest{Schemas: []string{schemaPatchOp}, Operations: ops}
}

// quote makes a SCIM filter string literal.
func quote(s string) string {
	// A filter's compValue is a JSON string (RFC 7644 §3.4.2.2): control
	// characters need escapes too, not only quotes and backslashes.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func eqFilter(attr, value string) string {
	return attr + " eq " + quote(value)
}
