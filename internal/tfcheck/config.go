package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Config is the parsed content of one Terraform module directory.
type Config struct {
	// Blocks are the top-level blocks of every *.tf file, in file order.
	Blocks []*hclsyntax.Block
}

// Resource is a resource block.
type Resource struct {
	Type, Name string
	Body       *hclsyntax.Body
	Range      hcl.Range
}

// Addr is the resource's Terraform address, e.g. google_pubsub_topic.main.
func (r Resource) Addr() string { return r.Type + "." + r.Name }

// Load parses every *.tf file in dir (not subdirectories, as Terraform does).
func Load(dir string) (*Config, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.tf files in %s", dir)
	}
	sort.Strings(paths)
	p := hclparse.NewParser()
	c := &Config{}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		f, diags := p.ParseHCL(src, path)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %w", path, diags)
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			return nil, fmt.Errorf("parse %s: not native HCL syntax", path)
		}
		c.Blocks = append(c.Blocks, body.Blocks...)
	}
	return c, nil
}

// Resources returns the resource blocks of type typ, or every resource block
// when typ is empty.
func (c *Config) Resources(typ string) []Resource {
	var rs []Resource
	for _, b := range c.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		if typ != "" && b.Labels[0] != typ {
			continue
		}
		rs = append(rs, Resource{Type: b.Labels[0], Name: b.Labels[1], Body: b.Body, Range: b.DefRange()})
	}
	return rs
}

// Variable returns the body of the variable block called name, or nil.
func (c *Config) Variable(name string) *hclsyntax.Body {
	for _, b := range c.Blocks {
		if b.Type == "variable" && len(b.Labels) == 1 && b.Labels[0] == name {
			return b.Body
		}
	}
	return nil
}

// Locals returns the attributes of every locals block, by name.
func (c *Config) Locals() map[string]*hclsyntax.Attribute {
	m := make(map[string]*hclsyntax.Attribute)
	for _, b := range c.Blocks {
		if b.Type != "locals" {
			continue
		}
		for name, a := range b.Body.Attributes {
			m[name] = a
		}
	}
	return m
}

// nestedBlocks returns the blocks of type typ directly inside body.
func nestedBlocks(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var bs []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			bs = append(bs, b)
		}
	}
	return bs
}

// stringLiterals returns every literal string in the expression tree under n:
// quoted strings and the literal parts of templates, but not comments.
func stringLiterals(n hclsyntax.Node) []string {
	var out []string
	hclsyntax.VisitAll(n, func(n hclsyntax.Node) hcl.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() {
			out = append(out, lit.Val.AsString())
		}
		return nil
	})
	return out
}

func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", filepath.Base(r.Filename), r.Start.Line)
}

// isIAMResource reports whether a resource type grants IAM roles.
func isIAMResource(typ string) bool {
	return strings.Contains(typ, "_iam_")
}

// ModuleCall is a module block and its arguments, evaluated as literals.
type ModuleCall struct {
	Name, Source string
	Args         map[string]cty.Value
	Range        hcl.Range
}

// ModuleCalls returns the module blocks of c whose source is source, with
// their arguments. Arguments must be literals, as in the examples.
func ModuleCalls(c *Config, source string) ([]ModuleCall, error) {
	var out []ModuleCall
	for _, b := range c.Blocks {
		if b.Type != "module" || len(b.Labels) != 1 {
			continue
		}
		src, ok := b.Body.Attributes["source"]
		if !ok {
			return nil, fmt.Errorf("%s: module %s has no source", pos(b.Range()), b.Labels[0])
		}
		sv, diags := src.Expr.Value(nil)
		if diags.HasErrors() || sv.Type() != cty.String || sv.AsString() != source {
			continue
		}
		call := ModuleCall{Name: b.Labels[0], Source: source, Args: map[string]cty.Value{}, Range: b.Range()}
		for name, a := range b.Body.Attributes {
			if name == "source" {
				continue
			}
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("%s: module %s: %s: %w", pos(a.Range()), call.Name, name, diags)
			}
			call.Args[name] = v
		}
		out = append(out, call)
	}
	return out, nil
}
