package workspacetest

import (
	"fmt"
	"strings"
)

// selection is a parsed fields= partial-response mask. A nil selection
// keeps everything; a key mapped to nil keeps that whole value.
type selection map[string]selection

// parseFields parses the subset of the partial-response syntax that
// clients use: comma-separated names, a/b paths and a(b,c) sub-selections.
func parseFields(s string) (selection, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	sel, rest, err := parseList(s)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("invalid field selection %q", s)
	}
	return sel, nil
}

func parseList(s string) (selection, string, error) {
	sel := selection{}
	for {
		i := strings.IndexAny(s, ",()")
		name := s
		if i >= 0 {
			name = s[:i]
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, "", fmt.Errorf("empty field name")
		}
		var sub selection
		rest := ""
		if i >= 0 {
			rest = s[i:]
		}
		if strings.HasPrefix(rest, "(") {
			var err error
			sub, rest, err = parseList(rest[1:])
			if err != nil {
				return nil, "", err
			}
			if !strings.HasPrefix(rest, ")") {
				return nil, "", fmt.Errorf("unbalanced parentheses")
			}
			rest = rest[1:]
		}
		// a/b/c is a(b(c)).
		parts := strings.Split(name, "/")
		for j := len(parts) - 1; j > 0; j-- {
			sub = selection{parts[j]: sub}
		}
		merge(sel, parts[0], sub)
		switch {
		case rest == "":
			return sel, "", nil
		case strings.HasPrefix(rest, ","):
			s = rest[1:]
		default: // ")" closes the caller's list
			return sel, rest, nil
		}
	}
}

func merge(sel selection, name string, sub selection) {
	old, ok := sel[name]
	switch {
	case !ok:
		sel[name] = sub
	case old == nil || sub == nil:
		sel[name] = nil
	default:
		for k, v := range sub {
			merge(old, k, v)
		}
	}
}

// apply returns v masked by sel. Arrays are masked element by element.
func (sel selection) apply(v any) any {
	if sel == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sub := range sel {
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sel.apply(e)
		}
		return out
	default:
		return v
	}
}
