package workspacetest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Organization is one of a user's organizations.
type Organization struct {
	Name       string `json:"name,omitempty"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
	CostCenter string `json:"costCenter,omitempty"`
	Primary    bool   `json:"primary,omitempty"`
}

// Relation is one of a user's relations ("manager" and an email).
type Relation struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// addProfile renders the profile fields as generic JSON, so fields= masks
// apply to them as Google applies them.
func addProfile(out map[string]any, u *User) {
	if len(u.Organizations) > 0 {
		out["organizations"] = generic(u.Organizations)
	}
	if len(u.Relations) > 0 {
		out["relations"] = generic(u.Relations)
	}
	if len(u.CustomSchemas) > 0 {
		out["customSchemas"] = u.CustomSchemas
	}
}

func generic(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// projectUser applies users.list's projection: basic (the default) drops
// customSchemas, custom keeps the schemas named in customFieldMask, full
// keeps them all.
func projectUser(u map[string]any, q url.Values) map[string]any {
	cs, ok := u["customSchemas"].(map[string]map[string]any)
	if !ok {
		return u
	}
	switch q.Get("projection") {
	case "full":
		return u
	case "custom":
		mask := strings.Split(q.Get("customFieldMask"), ",")
		kept := map[string]map[string]any{}
		for name, fields := range cs {
			if slices.Contains(mask, name) {
				kept[name] = fields
			}
		}
		u["customSchemas"] = kept
	default:
		delete(u, "customSchemas")
	}
	return u
}
