package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

func runSplit(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// Help and the version go to stdout with exit 0; mistakes go to stderr
// with exit 1, and stdout stays empty.
func TestHelpAndVersionStreams(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string // in stdout; "" wants stdout empty
		wantErr  string // in stderr; "" wants stderr empty
	}{
		{[]string{"--help"}, exitOK, "usage: groupsync", ""},
		{[]string{"-h"}, exitOK, "usage: groupsync", ""},
		{[]string{"help"}, exitOK, "commands:", ""},
		{[]string{"help", "plan"}, exitOK, "usage: groupsync plan [flags]", ""},
		{[]string{"help", "jobs", "show"}, exitOK, "usage: groupsync jobs show [flags] ID", ""},
		{[]string{"plan", "--help"}, exitOK, "-rule", ""},
		{[]string{"approve", "--help"}, exitOK, "usage: groupsync approve [flags] JOB", ""},
		{[]string{"serve", "-h"}, exitOK, "-addr", ""},
		{[]string{"version"}, exitOK, "groupsync ", ""},
		{[]string{"--version"}, exitOK, "groupsync ", ""},
		{[]string{}, exitError, "", "usage: groupsync"},
		{[]string{"help", "plna"}, exitError, "", "did you mean 'groupsync help plan'?"},
		{[]string{"approve"}, exitError, "", "missing JOB"},
		{[]string{"plan", "extra"}, exitError, "", `unexpected argument "extra"`},
		{[]string{"jobs", "shwo"}, exitError, "", "did you mean 'groupsync jobs show'?"},
		{[]string{"approve", "a", "b"}, exitError, "", `unexpected argument "b"`},
		{[]string{"sync", "--dryrun"}, exitError, "", "did you mean --dry-run?"},
		{[]string{"completion", "tcsh"}, exitError, "", `unknown shell "tcsh"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runSplit(tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit: got %d, want %d (stderr %q)", code, tc.wantCode, errs)
			}
			if tc.wantOut == "" && out != "" || !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout: got %q, want it to contain %q", out, tc.wantOut)
			}
			if tc.wantErr == "" && errs != "" || !strings.Contains(errs, tc.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errs, tc.wantErr)
			}
			if strings.Count(out+errs, "usage: groupsync") > 1 {
				t.Errorf("usage printed more than once:\n%s%s", out, errs)
			}
		})
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	code, out, errs := runSplit("snyc")
	if code != exitError || out != "" {
		t.Errorf("exit %d, stdout %q: want 1 and nothing on stdout", code, out)
	}
	if !strings.Contains(errs, `unknown command "snyc"`) || !strings.Contains(errs, "did you mean 'groupsync sync'?") {
		t.Errorf("stderr: got %q, want the unknown command and its suggestion", errs)
	}
}

// Global flags are accepted after the command and after its flags.
func TestGlobalFlagAfterCommand(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "groupsync.yaml")
	cfg := `
store: bolt://state.db
sources:
  corp: {type: workspace, admin_subject: admin@example.com, credentials: file://key.json}
targets:
  app: {type: scim, url: "https://app.example.com/scim/v2", token: env://T}
rules:
  - {name: r, source: corp, target: app}
`
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"jobs", "--config", conf, "--json"},
		{"jobs", "--json", "--config=" + conf},
		{"jobs", "--json", "-v", "--config", conf},
	} {
		code, out, errs := runSplit(args...)
		if code != exitOK || strings.TrimSpace(out) != "[]" && strings.TrimSpace(out) != "null" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and no jobs", args, code, out, errs)
		}
	}
}

// check, sync and approve print JSON a script can decode.
func TestJSONOutput(t *testing.T) {
	dirx := workspacetest.NewServer(workspacetest.SmallOrg())
	t.Cleanup(dirx.Close)
	scim := scimtest.NewServer(scimtest.Options{Token: "tok"})
	t.Cleanup(scim.Close)
	conf := faultConfig(t, dirx, dirx.URL(), 600000, scim, `{max_deletes_per_group: "10%"}`)

	var checks []checkResult
	code, out, errs := runSplit("check", "--json", "--config", conf)
	if code != exitOK {
		t.Fatalf("check --json: exit %d, stderr %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &checks); err != nil {
		t.Fatalf("check --json: %v in %q", err, out)
	}
	if len(checks) != 2 || !checks[0].OK || !checks[1].OK || checks[0].Kind != "source" || checks[1].Kind != "target" {
		t.Errorf("check --json: got %+v, want an ok source and an ok target", checks)
	}

	var job model.Job
	code, out, errs = runSplit("--config", conf, "sync", "--json")
	if code != exitOK {
		t.Fatalf("sync --json: exit %d, stderr %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &job); err != nil {
		t.Fatalf("sync --json: %v in %q", err, out)
	}
	if job.Status != model.JobDone || job.Counts.GroupsCreated == 0 {
		t.Errorf("sync --json: got status %s, %d groups created; want done and some groups", job.Status, job.Counts.GroupsCreated)
	}

	// Empty a group: the per-group deletion limit holds the plan.
	eng := dirx.Org().Groups[0]
	for _, m := range append([]workspacetest.Member(nil), eng.Members...) {
		if err := dirx.RemoveMember(eng.Email, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = runSplit("--config", conf, "sync", "--json")
	if code != exitHeld {
		t.Fatalf("sync --json with a held plan: exit %d, want %d; stderr %s", code, exitHeld, errs)
	}
	if err := json.Unmarshal([]byte(out), &job); err != nil || job.Status != model.JobHeld {
		t.Fatalf("sync --json with a held plan: %v, status %q in %q", err, job.Status, out)
	}
	if !strings.Contains(errs, "approve: groupsync approve "+job.ID) {
		t.Errorf("sync --json: stderr %q, want the approve hint there, off stdout", errs)
	}

	var approved model.Job
	code, out, errs = runSplit("approve", job.ID, "--json", "--config", conf)
	if code != exitOK {
		t.Fatalf("approve --json: exit %d, stderr %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &approved); err != nil {
		t.Fatalf("approve --json: %v in %q", err, out)
	}
	if approved.Status != model.JobDone || approved.ApproveOf != job.ID {
		t.Errorf("approve --json: got status %s approving %q, want done approving %s", approved.Status, approved.ApproveOf, job.ID)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errs := runSplit("completion", shell)
		if code != exitOK || errs != "" {
			t.Fatalf("completion %s: exit %d, stderr %q", shell, code, errs)
		}
		// Every command and a flag of each reach the script.
		for _, want := range []string{"approve", "disconnect", "dry-run", "limit", "json"} {
			if !strings.Contains(out, want) {
				t.Errorf("completion %s: no %q in the script", shell, want)
			}
		}
	}
}
