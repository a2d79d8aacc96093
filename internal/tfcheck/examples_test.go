package tfcheck

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/groupsync/groupsync/internal/config"
)

var examplesDir = filepath.Join("..", "..", "examples")

// TestExampleVars checks that every examples/*.tfvars sets only declared
// variables, sets every variable that has no default, and passes the
// variables' validations: a copied example must plan.
func TestExampleVars(t *testing.T) {
	c := loadDeployment(t)
	paths, err := filepath.Glob(filepath.Join(examplesDir, "*.tfvars"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples/*.tfvars (err %v)", err)
	}
	var required []string
	for _, b := range c.Blocks {
		if b.Type == "variable" && len(b.Labels) == 1 {
			if _, ok := b.Body.Attributes["default"]; !ok {
				required = append(required, b.Labels[0])
			}
		}
	}
	sort.Strings(required)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			vars, err := LoadVars(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range required {
				if _, ok := vars[name]; !ok {
					t.Errorf("does not set required variable %s", name)
				}
			}
			for name, v := range vars {
				if c.Variable(name) == nil {
					t.Errorf("sets undeclared variable %s", name)
					continue
				}
				failed, err := ValidateVariable(c, name, v)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				for _, msg := range failed {
					t.Errorf("%s: validation fails: %s", name, msg)
				}
			}
			if cfg, ok := vars["config_file"]; ok {
				// Relative to the repository root, as terraform/locals.tf
				// resolves it.
				p := filepath.Join("..", "..", filepath.FromSlash(cfg.AsString()))
				if _, err := config.Load(p); err != nil {
					t.Errorf("config_file %s does not load: %v", cfg.AsString(), err)
				}
			}
		})
	}
}
