package tfcheck

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// primitiveRoles grant far more than groupsync needs.
var primitiveRoles = map[string]bool{
	"roles/owner":  true,
	"roles/editor": true,
	"roles/viewer": true,
}

// publicPrincipals make a resource reachable by anyone.
var publicPrincipals = map[string]bool{
	"allUsers":              true,
	"allAuthenticatedUsers": true,
}

// PrimitiveRoles reports every string literal anywhere in the configuration
// that names a primitive role.
func PrimitiveRoles(c *Config) []string {
	var problems []string
	for _, b := range c.Blocks {
		what := strings.Join(append([]string{b.Type}, strings.Join(b.Labels, ".")), " ")
		for _, s := range stringLiterals(b.Body) {
			if primitiveRoles[s] {
				problems = append(problems, fmt.Sprintf("%s: %s uses primitive role %s", pos(b.DefRange()), strings.TrimSpace(what), s))
			}
		}
	}
	return problems
}

// PublicMembers reports IAM resources whose member or members name
// allUsers or allAuthenticatedUsers, literally or inside a template.
func PublicMembers(c *Config) []string {
	var problems []string
	for _, r := range c.Resources("") {
		if !isIAMResource(r.Type) {
			continue
		}
		for _, name := range []string{"member", "members", "policy_data"} {
			a, ok := r.Body.Attributes[name]
			if !ok {
				continue
			}
			for _, s := range stringLiterals(a.Expr) {
				for p := range publicPrincipals {
					if strings.Contains(s, p) {
						problems = append(problems, fmt.Sprintf("%s: %s grants %s", pos(a.SrcRange), r.Addr(), p))
					}
				}
			}
		}
	}
	return problems
}

// SubscriptionsWithoutDeadLetter reports google_pubsub_subscription
// resources that have no dead_letter_policy block.
func SubscriptionsWithoutDeadLetter(c *Config) []string {
	var problems []string
	for _, r := range c.Resources("google_pubsub_subscription") {
		if len(nestedBlocks(r.Body, "dead_letter_policy")) == 0 {
			problems = append(problems, fmt.Sprintf("%s: %s has no dead_letter_policy", pos(r.Range), r.Addr()))
		}
	}
	return problems
}

// InvokerBindings returns the IAM resources that grant a role on the
// google_cloudfunctions2_function called fn (directly, or on its Cloud Run
// service through the function's name).
func InvokerBindings(c *Config, fn string) []Resource {
	var rs []Resource
	for _, r := range c.Resources("") {
		if !isIAMResource(r.Type) {
			continue
		}
		for _, name := range []string{"cloud_function", "name", "service"} {
			a, ok := r.Body.Attributes[name]
			if ok && refersTo(a.Expr, "google_cloudfunctions2_function", fn) {
				rs = append(rs, r)
				break
			}
		}
	}
	return rs
}

// MembersFrom reports whether r grants its role only to elements of the
// variable called varName: its member is each.value (or each.key) and its
// for_each refers to nothing but that variable.
func MembersFrom(r Resource, varName string) error {
	m, ok := r.Body.Attributes["member"]
	if !ok {
		return fmt.Errorf("%s: %s has no member attribute", pos(r.Range), r.Addr())
	}
	t, ok := m.Expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || t.Traversal.RootName() != "each" {
		return fmt.Errorf("%s: %s member is not each.value", pos(m.SrcRange), r.Addr())
	}
	fe, ok := r.Body.Attributes["for_each"]
	if !ok {
		return fmt.Errorf("%s: %s has no for_each over var.%s", pos(r.Range), r.Addr(), varName)
	}
	vars := fe.Expr.Variables()
	if len(vars) == 0 {
		return fmt.Errorf("%s: %s for_each refers to no variable", pos(fe.SrcRange), r.Addr())
	}
	for _, v := range vars {
		if v.RootName() != "var" || attrName(v, 1) != varName {
			return fmt.Errorf("%s: %s for_each refers to %s, want only var.%s", pos(fe.SrcRange), r.Addr(), traversalString(v), varName)
		}
	}
	return nil
}

// refersTo reports whether expr refers to the resource typ.name.
func refersTo(expr hclsyntax.Expression, typ, name string) bool {
	for _, v := range expr.Variables() {
		if v.RootName() == typ && attrName(v, 1) == name {
			return true
		}
	}
	return false
}

// attrName returns the name of the i-th step of t when it is an attribute
// access.
func attrName(t hcl.Traversal, i int) string {
	if i >= len(t) {
		return ""
	}
	if a, ok := t[i].(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

func traversalString(t hcl.Traversal) string {
	parts := []string{t.RootName()}
	for _, step := range t[1:] {
		switch s := step.(type) {
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		case hcl.TraverseIndex:
			parts = append(parts, "[…]")
		}
	}
	return strings.Join(parts, ".")
}
