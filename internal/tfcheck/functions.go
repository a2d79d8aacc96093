package tfcheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Kind is how a function is invoked.
type Kind string

// Kinds, named after the functions-framework-go registration calls.
const (
	CloudEvent Kind = "CloudEvent"
	HTTP       Kind = "HTTP"
)

// Function is what the configuration says about one
// google_cloudfunctions2_function.
type Function struct {
	Resource   string // Terraform resource name
	EntryPoint string
	// Kind is CloudEvent when the function has an event_trigger or a
	// Pub/Sub push subscription invokes it, else HTTP.
	Kind Kind
	// Topic is the Pub/Sub topic name an event trigger listens to.
	Topic string
	// RetryPolicy is the event trigger's retry_policy.
	RetryPolicy string
}

// Functions returns the configuration's functions, sorted by entry point.
// Entry points, retry policies and topic names must be literals or resolve
// through static locals (see staticLocals); anything else is an error, so a
// check never passes on a value it could not read.
func Functions(c *Config) ([]Function, error) {
	topics, err := topicNames(c)
	if err != nil {
		return nil, err
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"local":               cty.ObjectVal(staticLocals(c)),
			"google_pubsub_topic": topics,
		},
		Functions: functions,
	}
	var fns []Function
	for _, r := range c.Resources("google_cloudfunctions2_function") {
		f := Function{Resource: r.Name, Kind: HTTP}
		builds := nestedBlocks(r.Body, "build_config")
		if len(builds) != 1 {
			return nil, fmt.Errorf("%s: %s has %d build_config blocks, want 1", pos(r.Range), r.Addr(), len(builds))
		}
		a, ok := builds[0].Body.Attributes["entry_point"]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no entry_point", pos(r.Range), r.Addr())
		}
		if f.EntryPoint, err = evalString(a.Expr, ctx); err != nil {
			return nil, fmt.Errorf("%s: %s entry_point: %w", pos(a.SrcRange), r.Addr(), err)
		}
		if triggers := nestedBlocks(r.Body, "event_trigger"); len(triggers) > 0 {
			f.Kind = CloudEvent
			t := triggers[0].Body
			if a, ok := t.Attributes["retry_policy"]; ok {
				if f.RetryPolicy, err = evalString(a.Expr, ctx); err != nil {
					return nil, fmt.Errorf("%s: %s retry_policy: %w", pos(a.SrcRange), r.Addr(), err)
				}
			}
			if a, ok := t.Attributes["pubsub_topic"]; ok {
				id, err := evalString(a.Expr, ctx)
				if err != nil {
					return nil, fmt.Errorf("%s: %s pubsub_topic: %w", pos(a.SrcRange), r.Addr(), err)
				}
				f.Topic = id[strings.LastIndex(id, "/")+1:]
			}
		}
		fns = append(fns, f)
	}
	pushes, err := pushTargets(c, ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pushes {
		for i := range fns {
			if fns[i].Resource == p.function && fns[i].Kind == HTTP {
				// Pub/Sub pushes the event and redelivers it on failure, as
				// an event trigger with RETRY_POLICY_RETRY does.
				fns[i].Kind, fns[i].Topic, fns[i].RetryPolicy = CloudEvent, p.topic, "RETRY_POLICY_RETRY"
			}
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].EntryPoint < fns[j].EntryPoint })
	return fns, nil
}

// topicNames evaluates the google_pubsub_topic resources far enough to
// resolve references such as google_pubsub_topic.main["runs"].id: an object
// of resource name to instance (or map of instances for for_each) with name
// and id attributes.
func topicNames(c *Config) (cty.Value, error) {
	locals := cty.ObjectVal(staticLocals(c))
	vars := defaultVars(c)
	resources := make(map[string]cty.Value)
	for _, r := range c.Resources("google_pubsub_topic") {
		nameAttr, ok := r.Body.Attributes["name"]
		if !ok {
			return cty.NilVal, fmt.Errorf("%s: %s has no name", pos(r.Range), r.Addr())
		}
		fe, ok := r.Body.Attributes["for_each"]
		if !ok {
			v, err := topicInstance(nameAttr.Expr, &hcl.EvalContext{Variables: map[string]cty.Value{"local": locals, "var": vars}})
			if err != nil {
				// A topic whose name is not static cannot be referred to
				// by a check; leave it out.
				continue
			}
			resources[r.Name] = v
			continue
		}
		set, diags := fe.Expr.Value(&hcl.EvalContext{Variables: map[string]cty.Value{"local": locals, "var": vars}, Functions: functions})
		if diags.HasErrors() || !set.IsWhollyKnown() || !set.CanIterateElements() {
			continue
		}
		instances := make(map[string]cty.Value)
		for it := set.ElementIterator(); it.Next(); {
			k, v := it.Element()
			ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
				"local": locals,
				"var":   vars,
				"each":  cty.ObjectVal(map[string]cty.Value{"key": k, "value": v}),
			}}
			inst, err := topicInstance(nameAttr.Expr, ctx)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %s name: %w", pos(nameAttr.SrcRange), r.Addr(), err)
			}
			if k.Type() != cty.String {
				return cty.NilVal, fmt.Errorf("%s: %s for_each key is not a string", pos(fe.SrcRange), r.Addr())
			}
			instances[k.AsString()] = inst
		}
		resources[r.Name] = cty.ObjectVal(instances)
	}
	return cty.ObjectVal(resources), nil
}

func topicInstance(name hclsyntax.Expression, ctx *hcl.EvalContext) (cty.Value, error) {
	n, err := evalString(name, ctx)
	if err != nil {
		return cty.NilVal, err
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal(n),
		"id":   cty.StringVal("projects/_/topics/" + n),
	}), nil
}

func evalString(expr hclsyntax.Expression, ctx *hcl.EvalContext) (string, error) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	if v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return "", fmt.Errorf("not a known string: %#v", v)
	}
	return v.AsString(), nil
}
