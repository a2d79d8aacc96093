package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// schemaEnums are the closed sets of values of some keys, by Go type and
// field name; validate.go and ldap.go hold the same lists.
var schemaEnums = map[string][]string{
	"Source.Type":          {TypeWorkspace, TypeLDAP},
	"Source.Scope":         {"sub", "one"},
	"Source.Flavor":        {"openldap", "ad"},
	"Target.Type":          {TypeSCIM, TypeWorkspace},
	"MemberOptions.Nested": {NestedFlatten, NestedDirect},
	"Policy.Mode":          {"sync", "add-only", "remove-only"},
	"Policy.Deprovision":   {"disable", "delete", "none"},
}

// schemaCountOrPercent are the limit keys: a count (50, "50") or a
// percentage ("10%").
var schemaCountOrPercent = map[string]bool{
	"Policy.MaxDeletes": true, "Policy.MaxDeletesPerGroup": true, "Policy.MaxScopeDrop": true,
}

// JSONSchema returns the JSON Schema (draft 2020-12) of the config file,
// made from the config types so that it cannot drift from what Load
// accepts: editors use it to complete and check groupsync.yaml.
func JSONSchema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[File](), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/groupsync/groupsync/docs/config.schema.json"
	s["title"] = "groupsync config file"
	s["required"] = []string{"store", "sources", "targets", "rules"}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schemaOf(t reflect.Type, field string) map[string]any {
	if vals, ok := schemaEnums[field]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	if schemaCountOrPercent[field] {
		return map[string]any{
			"type":    []string{"string", "integer"},
			"pattern": `^[0-9]+%?$`,
		}
	}
	if t == reflect.TypeFor[time.Duration]() {
		return map[string]any{"type": "string", "pattern": `^([0-9.]+(ns|us|µs|ms|s|m|h))+$`}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), field)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), field)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), field)}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			p := schemaOf(f.Type, t.Name()+"."+f.Name)
			if doc := f.Tag.Get("doc"); doc != "" {
				p["description"] = doc
			}
			props[name] = p
		}
		// Load decodes strictly: an unknown key is an error.
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{}
}
