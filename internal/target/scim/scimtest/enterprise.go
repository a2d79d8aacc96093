package scimtest

import (
	"net/http"
	"strings"
)

// SchemaEnterprise is the enterprise user extension (RFC 7643 §4.3).
const SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// resourceTypes is what /ResourceTypes answers with Options.Enterprise.
var resourceTypes = map[string]any{
	"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
	"totalResults": 2,
	"Resources": []any{
		map[string]any{"id": "User", "name": "User", "endpoint": "/Users",
			"schema":           "urn:ietf:params:scim:schemas:core:2.0:User",
			"schemaExtensions": []any{map[string]any{"schema": SchemaEnterprise, "required": false}}},
		map[string]any{"id": "Group", "name": "Group", "endpoint": "/Groups",
			"schema": "urn:ietf:params:scim:schemas:core:2.0:Group"},
	},
}

var enterpriseAttrs = map[string]string{
	"employeenumber": "employeeNumber", "costcenter": "costCenter", "department": "department",
	"organization": "organization", "division": "division", "manager": "manager",
}

// setEnterprise applies the extension object (attr is the schema URN) or
// one of its attributes (URN:attribute); ok is false for any other attr.
func setEnterprise(u *User, attr string, v any) (ok bool, err *scimError) {
	lower := strings.ToLower(attr)
	urn := strings.ToLower(SchemaEnterprise)
	if !strings.HasPrefix(lower, urn) {
		return false, nil
	}
	if u.Enterprise == nil {
		u.Enterprise = map[string]any{}
	}
	if lower == urn {
		m, isMap := v.(map[string]any)
		if !isMap {
			return true, errorf(http.StatusBadRequest, "invalidValue", "%s must be an object", SchemaEnterprise)
		}
		for k, sub := range m {
			if _, err := setEnterprise(u, SchemaEnterprise+":"+k, sub); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	name, known := enterpriseAttrs[strings.TrimPrefix(lower, urn+":")]
	if !known {
		return true, errorf(http.StatusBadRequest, "invalidPath", "unsupported attribute %q", attr)
	}
	if name == "manager" {
		if m, isMap := v.(map[string]any); !isMap || m["value"] == nil {
			return true, errorf(http.StatusBadRequest, "invalidValue", "manager must be an object with a value")
		}
	} else if _, isString := v.(string); !isString {
		return true, errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", name)
	}
	u.Enterprise[name] = v
	return true, nil
}
