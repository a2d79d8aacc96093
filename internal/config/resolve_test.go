package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeSecretManager serves payloads by version name.
type fakeSecretManager map[string]string

func (f fakeSecretManager) AccessSecret(_ context.Context, name string) ([]byte, error) {
	v, ok := f[name]
	if !ok {
		return nil, errors.New("rpc error: code = NotFound desc = " + name + " not found")
	}
	return []byte(v), nil
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "token"), "file-token\n")
	mustWrite(t, filepath.Join(dir, "crlf"), "crlf-token\r\n")
	abs := filepath.Join(t.TempDir(), "abs")
	mustWrite(t, abs, "abs-token")
	t.Setenv("GROUPSYNC_TEST_TOKEN", "env-token")

	r := &Resolver{
		BaseDir: dir,
		SecretManager: fakeSecretManager{
			"projects/p/secrets/tok/versions/latest": "sm-token\n",
		},
	}
	tests := []struct{ ref, want string }{
		{"env://GROUPSYNC_TEST_TOKEN", "env-token"},
		{"file://token", "file-token"},
		{"file://crlf", "crlf-token"},
		{"file://" + abs, "abs-token"},
		{"secret://projects/p/secrets/tok/versions/latest", "sm-token"},
	}
	for _, tt := range tests {
		got, err := r.Resolve(context.Background(), tt.ref)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "empty"), "\n")
	t.Setenv("GROUPSYNC_TEST_EMPTY", "")
	sm := fakeSecretManager{"projects/p/secrets/empty/versions/1": ""}
	tests := []struct {
		ref  string
		sm   SecretManager
		want string
	}{
		{"env://GROUPSYNC_TEST_UNSET_XYZ", nil, "env://GROUPSYNC_TEST_UNSET_XYZ: environment variable GROUPSYNC_TEST_UNSET_XYZ is not set or is empty"},
		{"env://GROUPSYNC_TEST_EMPTY", nil, "env://GROUPSYNC_TEST_EMPTY: environment variable GROUPSYNC_TEST_EMPTY is not set or is empty"},
		{"file://empty", nil, "file://empty: the value is empty"},
		{"file://missing", nil, "file://missing: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"secret://projects/p/secrets/s/versions/1", nil, "secret://projects/p/secrets/s/versions/1: Secret Manager is not configured in this runtime (use env:// or file:// locally)"},
		{"secret://projects/p/secrets/s/versions/1", sm, "secret://projects/p/secrets/s/versions/1: rpc error: code = NotFound desc = projects/p/secrets/s/versions/1 not found"},
		{"secret://projects/p/secrets/empty/versions/1", sm, "secret://projects/p/secrets/empty/versions/1: the value is empty"},
		{"keyless", nil, `is not a secret reference; the value is not shown (want env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V)`},
		{"secret://p/s", sm, `the secret:// reference is not secret://projects/P/secrets/S/versions/V`},
	}
	for _, tt := range tests {
		r := &Resolver{BaseDir: dir, SecretManager: tt.sm}
		got, err := r.Resolve(context.Background(), tt.ref)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want error %q", tt.ref, got, err, tt.want)
		}
	}
}

func TestFileResolverUsesConfigDir(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "tok"), "t0k")
	f := &File{Path: filepath.Join(dir, "groupsync.yaml")}
	got, err := f.Resolver(nil).Resolve(context.Background(), "file://tok")
	if err != nil || got != "t0k" {
		t.Errorf("Resolve(file://tok) = %q, %v; want t0k", got, err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
