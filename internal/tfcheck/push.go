package tfcheck

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// pushTarget is a function that a Pub/Sub push subscription invokes.
type pushTarget struct {
	function string // google_cloudfunctions2_function resource name
	topic    string // topic name
}

// pushTargets finds the push subscriptions that invoke functions: those
// with a push_config, either naming a function in push_endpoint or, with
// for_each over a local map of functions, through each.value. Each
// instance's topic is evaluated with its each.key. ctx resolves topics.
func pushTargets(c *Config, ctx *hcl.EvalContext) ([]pushTarget, error) {
	var out []pushTarget
	for _, r := range c.Resources("google_pubsub_subscription") {
		pushes := nestedBlocks(r.Body, "push_config")
		if len(pushes) == 0 {
			continue
		}
		topic, ok := r.Body.Attributes["topic"]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no topic", pos(r.Range), r.Addr())
		}
		type instance struct {
			key  cty.Value
			expr hclsyntax.Expression // what the endpoint refers to
		}
		endpoint, ok := pushes[0].Body.Attributes["push_endpoint"]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no push_endpoint", pos(r.Range), r.Addr())
		}
		instances := []instance{{key: cty.NullVal(cty.String), expr: endpoint.Expr}}
		if fe, ok := r.Body.Attributes["for_each"]; ok {
			items, err := localMapItems(c, fe.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s: %s for_each: %w", pos(fe.SrcRange), r.Addr(), err)
			}
			instances = instances[:0]
			for k, v := range items {
				instances = append(instances, instance{key: cty.StringVal(k), expr: v})
			}
		}
		for _, in := range instances {
			fn := ""
			for _, f := range c.Resources("google_cloudfunctions2_function") {
				if refersTo(in.expr, "google_cloudfunctions2_function", f.Name) {
					fn = f.Name
				}
			}
			if fn == "" {
				continue // pushes somewhere else
			}
			ectx := ctx.NewChild()
			ectx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": in.key})}
			id, err := evalString(topic.Expr, ectx)
			if err != nil {
				return nil, fmt.Errorf("%s: %s topic: %w", pos(topic.SrcRange), r.Addr(), err)
			}
			out = append(out, pushTarget{function: fn, topic: id[strings.LastIndex(id, "/")+1:]})
		}
	}
	return out, nil
}

// localMapItems reads for_each = local.NAME where the local is an object
// constructor with literal keys.
func localMapItems(c *Config, expr hclsyntax.Expression) (map[string]hclsyntax.Expression, error) {
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || st.Traversal.RootName() != "local" || len(st.Traversal) != 2 {
		return nil, fmt.Errorf("want local.NAME")
	}
	name := attrName(st.Traversal, 1)
	a := c.Locals()[name]
	if a == nil {
		return nil, fmt.Errorf("no local %q", name)
	}
	obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, fmt.Errorf("local %q is not an object", name)
	}
	items := make(map[string]hclsyntax.Expression, len(obj.Items))
	for _, it := range obj.Items {
		k, diags := it.KeyExpr.Value(nil)
		if diags.HasErrors() || k.Type() != cty.String {
			return nil, fmt.Errorf("local %q has a key that is not a literal", name)
		}
		items[k.AsString()] = it.ValueExpr
	}
	return items, nil
}
