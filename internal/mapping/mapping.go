package mapping

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// User is the data of a user template: the source's user and its profile.
//
//	{{.Email}} {{.GivenName}} {{.FamilyName}} {{.DisplayName}} {{.ID}}
//	{{.Title}} {{.Department}} {{.CostCenter}} {{.Organization}}
//	{{.EmployeeID}} {{index .ExternalIDs "custom-type"}}
//	{{.ManagerEmail}} {{.ManagerID}} {{.Custom.Schema.field}}
type User struct {
	ID, Email, GivenName, FamilyName, DisplayName string
	Organization, Title, Department, CostCenter   string
	// EmployeeID is the externalId of type "organization".
	EmployeeID   string
	ExternalIDs  map[string]string
	ManagerEmail string
	// ManagerID is the manager's source ID, found by ManagerEmail.
	ManagerID string
	Custom    map[string]map[string]any
}

// Group is the data of a group template.
//
//	{{.Email}} {{.Name}} {{.Description}} {{.ID}}
type Group struct {
	ID, Email, Name, Description string
}

// funcs are the helpers templates may call beyond text/template's own.
var funcs = template.FuncMap{
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trim":       strings.TrimSpace,
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"localPart": func(email string) string {
		local, _, _ := strings.Cut(email, "@")
		return local
	},
	"default": func(def string, v any) string {
		if s := fmt.Sprint(v); v != nil && s != "" {
			return s
		}
		return def
	},
}

// Mapping is a compiled Spec.
type Mapping struct {
	user  [7]*template.Template // in UserSpec.fields order; nil: not mapped
	group *template.Template
	// schemas are the custom schemas the user templates read.
	schemas []string
}

// Error is a template that does not compile, named by its key under
// rules[].mapping ("user.title").
type Error struct {
	Key string
	Err error
}

func (e *Error) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Compile parses every template of the spec. It returns nil for an empty
// spec, and every bad template as an *Error.
func Compile(s Spec) (*Mapping, []error) {
	if s.Empty() {
		return nil, nil
	}
	m := &Mapping{}
	var errs []error
	schemas := map[string]bool{}
	for i, f := range s.User.fields() {
		if f.text == "" {
			continue
		}
		t, err := parseTemplate("user."+f.key, f.text)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.user[i] = t
		customSchemas(t.Tree.Root, schemas)
	}
	if s.Group.DisplayName != "" {
		t, err := parseTemplate("group.display_name", s.Group.DisplayName)
		if err != nil {
			errs = append(errs, err)
		}
		m.group = t
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for name := range schemas {
		m.schemas = append(m.schemas, name)
	}
	sort.Strings(m.schemas)
	return m, nil
}

func parseTemplate(key, text string) (*template.Template, error) {
	t, err := template.New(key).Funcs(funcs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, &Error{Key: key, Err: err}
	}
	return t, nil
}

// customSchemas collects the X of every .Custom.X in a template, so the
// source reads only those schemas.
func customSchemas(n parse.Node, into map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			customSchemas(c, into)
		}
	case *parse.ActionNode:
		customSchemas(n.Pipe, into)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			customSchemas(c, into)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			customSchemas(a, into)
		}
	case *parse.FieldNode:
		if len(n.Ident) > 1 && n.Ident[0] == "Custom" {
			into[n.Ident[1]] = true
		}
	case *parse.IfNode:
		customSchemas(n.Pipe, into)
		customSchemas(n.List, into)
		customSchemas(n.ElseList, into)
	case *parse.RangeNode:
		customSchemas(n.Pipe, into)
		customSchemas(n.List, into)
		customSchemas(n.ElseList, into)
	case *parse.WithNode:
		customSchemas(n.Pipe, into)
		customSchemas(n.List, into)
		customSchemas(n.ElseList, into)
	}
}

// ReadsProfile reports whether the user templates need more than the
// core user fields, so the source reads the profile.
func (m *Mapping) ReadsProfile() bool {
	if m == nil {
		return false
	}
	for _, t := range m.user {
		if t != nil {
			return true
		}
	}
	return false
}

// CustomSchemas lists the custom schemas the user templates read.
func (m *Mapping) CustomSchemas() []string {
	if m == nil {
		return nil
	}
	return m.schemas
}

func execute(t *template.Template, data any) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	// A missing map key prints as "<no value>"; an absent attribute is
	// empty, not that text.
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "<no value>", "")), nil
}
