package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadConfigExitsBeforeTouchingAnything(t *testing.T) {
	tests := []struct {
		name, config, wantKey string
	}{
		{"unknown key", `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "https://app.example.com/scim/v2", token: env://T, colour: blue}
rules:
  - {name: r, source: corp, target: app}
`, "targets.app.colour"},
		{"bad url", `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "htp:/nowhere", token: env://T}
rules:
  - {name: r, source: corp, target: app}
`, "targets.app.url"},
		{"missing reference", `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "https://app.example.com/scim/v2", token: env://T}
rules:
  - {name: r, source: corp, target: nope}
`, "rules[0].target"},
		{"bad pattern", `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "https://app.example.com/scim/v2", token: env://T}
rules:
  - {name: r, source: corp, target: app, groups: {include: ["eng-["]}}
`, "rules[0].groups.include[0]"},
		{"bad template", `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "https://app.example.com/scim/v2", token: env://T}
rules:
  - {name: r, source: corp, target: app, mapping: {user: {title: "{{.Title"}}}
`, "rules[0].mapping.user.title"},
	}
	for _, tc := range tests {
		for _, cmd := range [][]string{{"sync"}, {"plan"}, {"jobs"}} {
			t.Run(tc.name+"/"+cmd[0], func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "groupsync.yaml")
				if err := os.WriteFile(path, []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
				var out, errb bytes.Buffer
				code := run(context.Background(), append([]string{"--config", path}, cmd...), &out, &errb)
				if code != exitError {
					t.Errorf("exit: got %d, want %d", code, exitError)
				}
				lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
				if len(lines) != 1 {
					t.Fatalf("stderr: got %d lines, want 1:\n%s", len(lines), errb.String())
				}
				if !strings.HasPrefix(lines[0], path+": "+tc.wantKey+":") {
					t.Errorf("stderr: got %q, want it to start with %q", lines[0], path+": "+tc.wantKey+":")
				}
				if _, err := os.Stat(filepath.Join(dir, "state.db")); !os.IsNotExist(err) {
					t.Errorf("store file exists after a bad config (stat err %v)", err)
				}
			})
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errb); code != exitError {
		t.Errorf("exit: got %d, want %d", code, exitError)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr: got %q", errb.String())
	}
}
