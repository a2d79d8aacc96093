package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Load reads and validates the config file at path. It reads nothing but
// that file: secret references are only checked for syntax here and are
// resolved later with a Resolver.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes data strictly (unknown keys are errors), fills in defaults
// and validates the result. path names the file in messages and anchors
// relative bolt:// store paths. On invalid input the error is a
// *ValidationError listing every problem, one line each.
func Parse(path string, data []byte) (*File, error) {
	f, problems, dropped, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	f.Path = path
	f.applyDefaults()
	if len(problems) == 0 || !dropped {
		problems = append(problems, f.validate()...)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	if err := f.anchorStore(); err != nil {
		return nil, err
	}
	return f, nil
}

// decode returns the file and the strict-decoding problems (unknown keys,
// wrong types, duplicate keys) as one-line messages. Decoding goes on past
// such problems so that validation can report everything else too; only a
// YAML syntax error stops it. dropped reports that yaml.v3 left out a
// source, target or rule it could not decode, which would make validation's
// messages name the wrong entries.
func decode(path string, data []byte) (f *File, problems []string, dropped bool, err error) {
	f = &File{}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, false, &ValidationError{Problems: []string{path + ": " + syntaxReason(err)}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(f)
	if errors.Is(err, io.EOF) {
		return f, nil, false, nil // an empty file: validation says what is missing
	}
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		idx := indexNodes(&root)
		for _, msg := range te.Errors {
			problems = append(problems, path+": "+idx.explain(msg))
		}
	case err != nil:
		return nil, nil, false, &ValidationError{Problems: []string{path + ": " + syntaxReason(err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		problems = append(problems, path+": only one YAML document is allowed")
	}
	return f, problems, entries(&root) != [3]int{len(f.Sources), len(f.Targets), len(f.Rules)}, nil
}

// entries counts the sources, targets and rules written in the document.
func entries(root *yaml.Node) [3]int {
	var n [3]int
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return n
	}
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		v := top[i+1]
		switch top[i].Value {
		case "sources":
			if v.Kind == yaml.MappingNode {
				n[0] = len(v.Content) / 2
			}
		case "targets":
			if v.Kind == yaml.MappingNode {
				n[1] = len(v.Content) / 2
			}
		case "rules":
			if v.Kind == yaml.SequenceNode {
				n[2] = len(v.Content)
			}
		}
	}
	return n
}

// Dir is the directory of the config file, against which relative file://
// references and bolt:// paths are resolved.
func (f *File) Dir() string {
	if f.Path == "" {
		return "."
	}
	return filepath.Dir(f.Path)
}

// Resolver returns a Resolver for this file's secret references.
func (f *File) Resolver(sm SecretManager) *Resolver {
	return &Resolver{SecretManager: sm, BaseDir: f.Dir()}
}

// Rule returns the rule called name.
func (f *File) Rule(name string) (Rule, bool) {
	for _, r := range f.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}
