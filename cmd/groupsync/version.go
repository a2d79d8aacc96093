package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// buildVersion is what `groupsync version` reports, from the build info
// the Go toolchain embeds: the module version (a tag for `go install
// …@vX.Y.Z`, "(devel)" in a checkout) and the VCS revision.
type buildVersion struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// releaseVersion is set by `make release` (-X main.releaseVersion=…): a
// binary built from a checkout has no module version of its own.
var releaseVersion string

func readBuildVersion() buildVersion {
	v := buildVersion{Version: "(unknown)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Version, v.Go = bi.Main.Version, bi.GoVersion
	if v.Version == "" {
		v.Version = "(devel)"
	}
	if releaseVersion != "" {
		v.Version = releaseVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v buildVersion) String() string {
	s := "groupsync " + v.Version
	if v.Revision != "" {
		s += " (" + v.Revision
		if v.Modified {
			s += ", modified"
		}
		if v.Time != "" {
			s += ", " + v.Time
		}
		s += ")"
	}
	return s + " " + v.Go
}

// version prints the build's version.
func (a *app) version(ctx context.Context, args []string) int {
	fs := a.flags("version")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args); !ok {
		return code
	}
	v := readBuildVersion()
	if *asJSON {
		return a.printJSON(v)
	}
	fmt.Fprintln(a.stdout, v)
	return exitOK
}
