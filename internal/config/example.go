package config

import (
	_ "embed"
	"slices"
)

//go:embed example.yaml
var example []byte

// Example returns a documented config file that shows every key.
func Example() []byte { return slices.Clone(example) }
