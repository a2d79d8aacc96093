package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite docs/config.schema.json")

var schemaPath = filepath.Join("..", "..", "docs", "config.schema.json")

// The checked-in schema is what the config types make; regenerate it with
// go test ./internal/config -run TestSchemaIsCurrent -update-schema.
func TestSchemaIsCurrent(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v (generate it with -update-schema)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./internal/config -run TestSchemaIsCurrent -update-schema", schemaPath)
	}
}

// Every key of the documented example and of the cloud examples is in the
// schema, and the schema refuses a key the config refuses.
func TestSchemaCoversTheExamples(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"example.yaml": Example()}
	for _, p := range []string{"cloud.yaml", "cloud-contractors.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", p))
		if err != nil {
			t.Fatal(err)
		}
		docs[p] = b
	}
	for name, b := range docs {
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range schemaProblems(schema, doc, "") {
			t.Errorf("%s: %s", name, p)
		}
	}
	bad := map[string]any{"store": "bolt://x.db", "rules": []any{map[string]any{"name": "r", "colour": "blue"}}}
	if got := schemaProblems(schema, bad, ""); len(got) != 1 {
		t.Errorf("an unknown rule key: got problems %v, want one", got)
	}
}

// schemaProblems checks doc's keys, types and enums against the subset of
// JSON Schema that JSONSchema emits.
func schemaProblems(s map[string]any, doc any, path string) []string {
	if enum, ok := s["enum"].([]any); ok {
		for _, e := range enum {
			if e == doc {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: %v is not one of %v", path, doc, enum)}
	}
	var out []string
	switch d := doc.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for k, v := range d {
			sub, ok := props[k].(map[string]any)
			if !ok {
				sub, ok = s["additionalProperties"].(map[string]any)
			}
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: not in the schema", path, k))
				continue
			}
			out = append(out, schemaProblems(sub, v, path+"."+k)...)
		}
	case []any:
		items, _ := s["items"].(map[string]any)
		for i, v := range d {
			out = append(out, schemaProblems(items, v, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}
