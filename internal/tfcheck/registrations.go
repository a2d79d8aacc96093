package tfcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const frameworkImport = "github.com/GoogleCloudPlatform/functions-framework-go/functions"

// Registrations parses the Go files of the package in dir (tests excluded)
// and returns the function names registered with functions.CloudEvent and
// functions.HTTP from functions-framework-go, with their kind. Names must be
// string literals or package-level string constants.
func Registrations(dir string) (map[string]Kind, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		files = append(files, f)
	}
	consts := stringConsts(files)
	regs := make(map[string]Kind)
	for _, f := range files {
		local := importName(f, frameworkImport)
		if local == "" {
			continue
		}
		var errs []error
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != local {
				return true
			}
			kind := Kind(sel.Sel.Name)
			if kind != CloudEvent && kind != HTTP {
				return true
			}
			if len(call.Args) == 0 {
				return true
			}
			name, ok := stringValue(call.Args[0], consts)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s.%s name is not a string literal or constant", fset.Position(call.Pos()), local, kind))
				return true
			}
			if prev, dup := regs[name]; dup {
				errs = append(errs, fmt.Errorf("%s: %q registered twice (%s, %s)", fset.Position(call.Pos()), name, prev, kind))
			}
			regs[name] = kind
			return true
		})
		if len(errs) > 0 {
			return nil, errs[0]
		}
	}
	return regs, nil
}

// importName returns the name file f uses for the import path, or "" if f
// does not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return p[strings.LastIndex(p, "/")+1:]
	}
	return ""
}

// stringConsts returns the package-level constants whose value is a string
// literal.
func stringConsts(files []*ast.File) map[string]string {
	m := make(map[string]string)
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						break
					}
					if s, ok := stringValue(vs.Values[i], nil); ok {
						m[n.Name] = s
					}
				}
			}
		}
	}
	return m
}

func stringValue(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	}
	return "", false
}
