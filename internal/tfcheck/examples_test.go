package tfcheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/groupsync/groupsync/internal/config"
)

var examplesDir = filepath.Join("..", "..", "examples")

// TestExampleModuleCalls checks that every examples/*/main.tf calls the
// module in terraform/ with declared variables only, sets every variable
// that has no default, passes the variables' validations and names a
// config that loads: a copied example must plan.
func TestExampleModuleCalls(t *testing.T) {
	c := loadDeployment(t)
	dirs, err := filepath.Glob(filepath.Join(examplesDir, "*", "main.tf"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples/*/main.tf (err %v)", err)
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
	prefixes := map[string]string{} // name_prefix → example/module
	for _, main := range dirs {
		dir := filepath.Dir(main)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ex, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			calls, err := ModuleCalls(ex, "../../terraform")
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) == 0 {
				t.Fatal("no module block with source ../../terraform")
			}
			for _, call := range calls {
				for _, name := range required {
					if _, ok := call.Args[name]; !ok {
						t.Errorf("module %s does not set required variable %s", call.Name, name)
					}
				}
				for name, v := range call.Args {
					if c.Variable(name) == nil {
						t.Errorf("module %s sets undeclared variable %s", call.Name, name)
						continue
					}
					failed, err := ValidateVariable(c, name, v)
					if err != nil {
						t.Errorf("module %s: %s: %v", call.Name, name, err)
					}
					for _, msg := range failed {
						t.Errorf("module %s: %s: validation fails: %s", call.Name, name, msg)
					}
				}
				if cfg, ok := call.Args["config_file"]; ok {
					// Relative to the repository root, as terraform/locals.tf
					// resolves it.
					p := filepath.Join("..", "..", filepath.FromSlash(cfg.AsString()))
					if _, err := config.Load(p); err != nil {
						t.Errorf("module %s: config_file %s does not load: %v", call.Name, cfg.AsString(), err)
					}
				}
				prefix := "groupsync"
				if v, ok := call.Args["name_prefix"]; ok {
					prefix = v.AsString()
				}
				if other, dup := prefixes[prefix+"/"+filepath.Base(dir)]; dup {
					t.Errorf("modules %s and %s share name_prefix %q in one example", other, call.Name, prefix)
				}
				prefixes[prefix+"/"+filepath.Base(dir)] = call.Name
			}
		})
	}
}

// The module is callable: it configures no provider of its own.
func TestModuleHasNoProviderBlock(t *testing.T) {
	c := loadDeployment(t)
	for _, b := range c.Blocks {
		if b.Type == "provider" {
			t.Errorf("%s: provider block in terraform/: a module cannot hold one (providers go in examples/*/main.tf)", pos(b.Range()))
		}
	}
}

// Every name the deployment creates in the project carries name_prefix (or
// is one the operator chose, such as a target secret ID), so two
// deployments can share a project.
func TestNamesCarryThePrefix(t *testing.T) {
	c := loadDeployment(t)
	locals := c.Locals()
	// prefixed reports whether an expression's references make its value
	// follow name_prefix.
	var prefixed func(expr hclsyntax.Expression, b *hclsyntax.Block) bool
	prefixed = func(expr hclsyntax.Expression, b *hclsyntax.Block) bool {
		for _, tr := range expr.Variables() {
			root := tr.RootName()
			attr := ""
			if len(tr) > 1 {
				if at, ok := tr[1].(hcl.TraverseAttr); ok {
					attr = at.Name
				}
			}
			switch {
			case root == "var":
				// name_prefix, or a name the operator chose.
				return true
			case strings.HasPrefix(root, "google_"):
				// Another resource's name.
				return true
			case root == "local" && locals[attr] != nil && prefixed(locals[attr].Expr, b):
				return true
			case root == "each" && b != nil:
				if fe, ok := b.Body.Attributes["for_each"]; ok && prefixed(fe.Expr, nil) {
					return true
				}
			}
		}
		return false
	}
	for _, b := range c.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		for _, attr := range []string{"name", "account_id", "secret_id"} {
			if a, ok := b.Body.Attributes[attr]; ok && !prefixed(a.Expr, b) {
				t.Errorf("%s: %s.%s %s is fixed: it must carry var.name_prefix", pos(a.SrcRange), b.Labels[0], b.Labels[1], attr)
			}
		}
	}
}

// The module README lists every input and output.
func TestModuleReadmeListsInputsAndOutputs(t *testing.T) {
	c := loadDeployment(t)
	readme, err := os.ReadFile(filepath.Join(terraformDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range c.Blocks {
		if (b.Type == "variable" || b.Type == "output") && len(b.Labels) == 1 {
			if !strings.Contains(string(readme), "| `"+b.Labels[0]+"` |") {
				t.Errorf("terraform/README.md has no row for %s %s", b.Type, b.Labels[0])
			}
		}
	}
}
