package tfcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// The deployment under test, relative to this package.
var (
	terraformDir = filepath.Join("..", "..", "terraform")
	functionsDir = filepath.Join("..", "..", "functions")
)

func loadDeployment(t *testing.T) *Config {
	t.Helper()
	c, err := Load(terraformDir)
	if err != nil {
		t.Fatalf("Load(%q): %v", terraformDir, err)
	}
	return c
}

func TestDeploymentHasNoPrimitiveRoles(t *testing.T) {
	c := loadDeployment(t)
	for _, p := range PrimitiveRoles(c) {
		t.Error(p)
	}
}

func TestDeploymentHasNoPublicMembers(t *testing.T) {
	c := loadDeployment(t)
	for _, p := range PublicMembers(c) {
		t.Error(p)
	}
}

func TestDeploymentSyncInvokersComeFromVariable(t *testing.T) {
	c := loadDeployment(t)
	bindings := InvokerBindings(c, "sync")
	if len(bindings) == 0 {
		t.Fatal("no IAM binding on google_cloudfunctions2_function.sync found; the invoker grant moved or the function was renamed")
	}
	for _, r := range bindings {
		if err := MembersFrom(r, "invoker_principals"); err != nil {
			t.Error(err)
		}
	}
}

func TestDeploymentInvokerPrincipalsValidation(t *testing.T) {
	c := loadDeployment(t)
	tests := []struct {
		principals []string
		wantOK     bool
	}{
		{[]string{"user:ops@example.com"}, true},
		{[]string{"serviceAccount:ci@p.iam.gserviceaccount.com", "group:admins@example.com", "domain:example.com"}, true},
		{[]string{"allUsers"}, false},
		{[]string{"allAuthenticatedUsers"}, false},
		{[]string{"user:ops@example.com", "allUsers"}, false},
		{[]string{"ops@example.com"}, false},
	}
	for _, tt := range tests {
		vals := make([]cty.Value, len(tt.principals))
		for i, p := range tt.principals {
			vals[i] = cty.StringVal(p)
		}
		failed, err := ValidateVariable(c, "invoker_principals", cty.ListVal(vals))
		if err != nil {
			t.Fatalf("ValidateVariable(invoker_principals, %q): %v", tt.principals, err)
		}
		if got := len(failed) == 0; got != tt.wantOK {
			t.Errorf("invoker_principals = %q: accepted = %v, want %v (failures: %q)", tt.principals, got, tt.wantOK, failed)
		}
	}
}

func TestDeploymentSubscriptionsHaveDeadLetterPolicy(t *testing.T) {
	c := loadDeployment(t)
	if len(c.Resources("google_pubsub_subscription")) == 0 {
		t.Fatal("no google_pubsub_subscription found; the check would pass vacuously")
	}
	for _, p := range SubscriptionsWithoutDeadLetter(c) {
		t.Error(p)
	}
}

func TestDeploymentFunctions(t *testing.T) {
	c := loadDeployment(t)
	got, err := Functions(c)
	if err != nil {
		t.Fatalf("Functions: %v", err)
	}
	want := []Function{
		{Resource: "dispatch", EntryPoint: "Dispatch", Kind: CloudEvent, Topic: "groupsync-runs", RetryPolicy: "RETRY_POLICY_RETRY"},
		{Resource: "sync", EntryPoint: "Sync", Kind: HTTP},
		{Resource: "sync_group", EntryPoint: "SyncGroup", Kind: CloudEvent, Topic: "groupsync-groups", RetryPolicy: "RETRY_POLICY_RETRY"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Functions mismatch (-want +got):\n%s", diff)
	}
}

// TestDeploymentEntryPointsAreRegistered ties the deployment to the code: a
// renamed function would deploy and then fail on every call.
func TestDeploymentEntryPointsAreRegistered(t *testing.T) {
	if _, err := os.Stat(functionsDir); os.IsNotExist(err) {
		t.Skipf("%s does not exist yet", functionsDir)
	}
	c := loadDeployment(t)
	fns, err := Functions(c)
	if err != nil {
		t.Fatalf("Functions: %v", err)
	}
	deployed := make(map[string]Kind)
	for _, f := range fns {
		deployed[f.EntryPoint] = f.Kind
	}
	registered, err := Registrations(functionsDir)
	if err != nil {
		t.Fatalf("Registrations: %v", err)
	}
	if len(registered) == 0 {
		t.Fatalf("%s registers no function with functions.CloudEvent or functions.HTTP; terraform/ deploys %v", functionsDir, deployed)
	}
	if diff := cmp.Diff(deployed, registered); diff != "" {
		t.Errorf("entry points in terraform/ (-) differ from registrations in functions/ (+):\n%s", diff)
	}
}

func TestDeploymentHoldsNoSecretValues(t *testing.T) {
	c := loadDeployment(t)
	for _, r := range c.Resources("google_secret_manager_secret_version") {
		t.Errorf("%s declares a secret version: secret values must not pass through Terraform state", r.Addr())
	}
}
