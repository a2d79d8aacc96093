package tfcheck

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the Terraform functions the checked expressions use. Terraform
// has many more; an expression that calls another one does not evaluate here,
// which the checks report rather than guess.
var functions = map[string]function.Function{
	"alltrue":    allTrueFunc,
	"can":        tryfunc.CanFunc,
	"floor":      stdlib.FloorFunc,
	"startswith": startsWithFunc,
	"length":     stdlib.LengthFunc,
	"lower":      stdlib.LowerFunc,
	"regex":      stdlib.RegexFunc,
	"split":      stdlib.SplitFunc,
	"trimspace":  stdlib.TrimSpaceFunc,
	"try":        tryfunc.TryFunc,
}

// startsWithFunc is Terraform's startswith.
var startsWithFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(strings.HasPrefix(args[0].AsString(), args[1].AsString())), nil
	},
})

// allTrueFunc is Terraform's alltrue: true when every element of a list of
// bools is true.
var allTrueFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() || !v.IsKnown() || v.False() {
				return cty.False, nil
			}
		}
		return cty.True, nil
	},
})

// defaultVars is var.<name> for every variable whose default is a constant:
// the deployment as it is with the defaults (name_prefix, for one).
func defaultVars(c *Config) cty.Value {
	vals := make(map[string]cty.Value)
	for _, b := range c.Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		if d, ok := b.Body.Attributes["default"]; ok {
			if v, diags := d.Expr.Value(nil); !diags.HasErrors() && v.IsWhollyKnown() {
				vals[b.Labels[0]] = v
			}
		}
	}
	return cty.ObjectVal(vals)
}

// staticLocals evaluates the locals that depend on nothing but other
// locals, variable defaults and the functions above (object literals such
// as topic names). Locals that read files or resources are left out.
func staticLocals(c *Config) map[string]cty.Value {
	attrs := c.Locals()
	vars := defaultVars(c)
	vals := make(map[string]cty.Value)
	// Each pass resolves the locals whose dependencies the previous passes
	// resolved; stop when a pass adds nothing.
	for progress := true; progress; {
		progress = false
		for name, a := range attrs {
			if _, done := vals[name]; done {
				continue
			}
			ctx := &hcl.EvalContext{
				Variables: map[string]cty.Value{"local": cty.ObjectVal(vals), "var": vars},
				Functions: functions,
			}
			v, diags := a.Expr.Value(ctx)
			if diags.HasErrors() || !v.IsWhollyKnown() {
				continue
			}
			vals[name] = v
			progress = true
		}
	}
	return vals
}

// ValidateVariable evaluates every validation block of the variable called
// name with value as var.<name>. It returns the error messages of the
// validations that fail, and an error when one cannot be evaluated here.
func ValidateVariable(c *Config, name string, value cty.Value) ([]string, error) {
	body := c.Variable(name)
	if body == nil {
		return nil, fmt.Errorf("no variable %q", name)
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{name: value}),
		},
		Functions: functions,
	}
	var failed []string
	for _, b := range nestedBlocks(body, "validation") {
		cond, ok := b.Body.Attributes["condition"]
		if !ok {
			return nil, fmt.Errorf("%s: validation without condition", pos(b.DefRange()))
		}
		v, diags := cond.Expr.Value(ctx)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: evaluate condition: %w", pos(cond.SrcRange), diags)
		}
		if v.Type() != cty.Bool || !v.IsKnown() || v.IsNull() {
			return nil, fmt.Errorf("%s: condition is %#v, not a bool", pos(cond.SrcRange), v)
		}
		if v.True() {
			continue
		}
		msg := "(no error_message)"
		if m, ok := b.Body.Attributes["error_message"]; ok {
			if mv, diags := m.Expr.Value(ctx); !diags.HasErrors() && mv.Type() == cty.String {
				msg = mv.AsString()
			}
		}
		failed = append(failed, msg)
	}
	return failed, nil
}
