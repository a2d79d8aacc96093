package config

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/groupsync/groupsync/internal/nearest"
)

// yaml.v3 reports strict-decoding problems as "line N: …" strings. These
// patterns turn them back into key paths by finding the node on that line.
var (
	reUnknown   = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	reType      = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
	reDuplicate = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	reSyntax    = regexp.MustCompile(`^yaml: (line \d+: .*)$`)
)

// configTypes lets an unknown-key message suggest the key that was meant.
var configTypes = map[string]reflect.Type{
	"config.File":          reflect.TypeFor[File](),
	"config.Source":        reflect.TypeFor[Source](),
	"config.Target":        reflect.TypeFor[Target](),
	"config.Rule":          reflect.TypeFor[Rule](),
	"config.GroupFilter":   reflect.TypeFor[GroupFilter](),
	"config.MemberOptions": reflect.TypeFor[MemberOptions](),
	"config.Policy":        reflect.TypeFor[Policy](),
}

func syntaxReason(err error) string {
	msg := err.Error()
	if m := reSyntax.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// nodeEntry is one key or value in the document with its key path.
type nodeEntry struct {
	line  int
	key   bool // a mapping key (value holds the key's name)
	kind  yaml.Kind
	value string // scalar value or key name
	path  string
	used  bool
}

type nodeIndex []*nodeEntry

func indexNodes(root *yaml.Node) nodeIndex {
	var idx nodeIndex
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind == yaml.AliasNode || n.Kind == 0 {
			return
		}
		if n.Kind != yaml.DocumentNode {
			idx = append(idx, &nodeEntry{line: n.Line, kind: n.Kind, value: n.Value, path: path})
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				idx = append(idx, &nodeEntry{line: k.Line, key: true, kind: k.Kind, value: k.Value, path: p})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	walk(root, "")
	return idx
}

// find returns the path of the first unused entry on line that matches.
func (idx nodeIndex) find(line int, match func(*nodeEntry) bool) string {
	for _, e := range idx {
		if e.line == line && !e.used && match(e) {
			e.used = true
			return e.path
		}
	}
	return ""
}

// explain turns one yaml.v3 type error into "KEY: reason".
func (idx nodeIndex) explain(msg string) string {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		name := m[2]
		path := idx.find(line, func(e *nodeEntry) bool { return e.key && e.value == name })
		if path == "" {
			path = name
		}
		reason := "unknown key (line " + m[1]
		if s := suggest(name, configTypes[m[3]]); s != "" {
			reason += `, did you mean "` + s + `"?`
		}
		return path + ": " + reason + ")"
	}
	if m := reDuplicate.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		name := m[2]
		path := idx.find(line, func(e *nodeEntry) bool { return e.key && e.value == name })
		if path == "" {
			path = name
		}
		return path + ": duplicate key (line " + m[1] + ", first at line " + m[3] + ")"
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		tag, val, into := m[2], m[3], m[4]
		path := idx.find(line, func(e *nodeEntry) bool {
			switch {
			case e.key:
				return false
			case tag == "!!seq":
				return e.kind == yaml.SequenceNode
			case tag == "!!map":
				return e.kind == yaml.MappingNode
			case e.kind != yaml.ScalarNode:
				return false
			}
			if v, ok := strings.CutSuffix(val, "..."); ok {
				return strings.HasPrefix(e.value, v)
			}
			return val == "" || e.value == val
		})
		if path == "" {
			path = "line " + m[1]
		}
		return path + ": " + typeReason(tag, val, into) + " (line " + m[1] + ")"
	}
	return msg
}

func typeReason(tag, val, into string) string {
	got := map[string]string{"!!seq": "a list", "!!map": "a mapping"}[tag]
	if got == "" {
		got = strconv.Quote(val)
	}
	want := into
	switch {
	case strings.HasPrefix(into, "[]"):
		want = "a list"
	case strings.HasPrefix(into, "map["), strings.HasPrefix(into, "config."):
		want = "a mapping"
	case strings.HasPrefix(into, "int"):
		want = "a whole number"
	case into == "bool", into == "*bool":
		want = "true or false"
	case into == "string":
		want = "a string"
	}
	return got + " is not " + want
}

// suggest returns the yaml key of t closest to name, if any is close.
func suggest(name string, t reflect.Type) string {
	if t == nil {
		return ""
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return nearest.Word(strings.ToLower(name), keys, 2)
}
