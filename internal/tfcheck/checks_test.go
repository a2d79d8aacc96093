package tfcheck

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// The checks must find what is wrong in a configuration made to be wrong,
// or a clean deployment proves nothing.

func loadBad(t *testing.T) *Config {
	t.Helper()
	c, err := Load(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestPrimitiveRoles(t *testing.T) {
	got := PrimitiveRoles(loadBad(t))
	want := []string{
		"main.tf:4: locals uses primitive role roles/editor",
		"main.tf:9: resource google_project_iam_member.too_much uses primitive role roles/owner",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PrimitiveRoles mismatch (-want +got):\n%s", diff)
	}
}

func TestPublicMembers(t *testing.T) {
	got := PublicMembers(loadBad(t))
	want := []string{
		"main.tf:54: google_cloud_run_v2_service_iam_member.public grants allUsers",
		"main.tf:67: google_cloud_run_v2_service_iam_binding.authn grants allAuthenticatedUsers",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PublicMembers mismatch (-want +got):\n%s", diff)
	}
}

func TestSubscriptionsWithoutDeadLetter(t *testing.T) {
	got := SubscriptionsWithoutDeadLetter(loadBad(t))
	want := []string{"main.tf:20: google_pubsub_subscription.no_dlq has no dead_letter_policy"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SubscriptionsWithoutDeadLetter mismatch (-want +got):\n%s", diff)
	}
}

func TestInvokerBindingsAndMembersFrom(t *testing.T) {
	c := loadBad(t)
	var got []string
	for _, r := range InvokerBindings(c, "sync") {
		msg := "ok"
		if err := MembersFrom(r, "invoker_principals"); err != nil {
			msg = err.Error()
		}
		got = append(got, r.Addr()+": "+msg)
	}
	want := []string{
		"google_cloud_run_v2_service_iam_member.public: main.tf:54: google_cloud_run_v2_service_iam_member.public member is not each.value",
		"google_cloudfunctions2_function_iam_member.everyone: main.tf:58: google_cloudfunctions2_function_iam_member.everyone for_each refers to var.others, want only var.invoker_principals",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sync bindings mismatch (-want +got):\n%s", diff)
	}
}

func TestFunctions(t *testing.T) {
	got, err := Functions(loadBad(t))
	if err != nil {
		t.Fatalf("Functions: %v", err)
	}
	want := []Function{
		{Resource: "sync", EntryPoint: "Sync", Kind: HTTP},
		{Resource: "worker", EntryPoint: "Work", Kind: CloudEvent, Topic: "bad-runs", RetryPolicy: "RETRY_POLICY_DO_NOT_RETRY"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Functions mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateVariableWithoutValidations(t *testing.T) {
	failed, err := ValidateVariable(loadBad(t), "invoker_principals", cty.ListVal([]cty.Value{cty.StringVal("allUsers")}))
	if err != nil || len(failed) != 0 {
		t.Errorf("ValidateVariable = %q, %v; want no failures (the variable has no validation)", failed, err)
	}
	if _, err := ValidateVariable(loadBad(t), "missing", cty.NullVal(cty.String)); err == nil {
		t.Error("ValidateVariable(missing) succeeded, want an error")
	}
}

func TestRegistrations(t *testing.T) {
	got, err := Registrations(filepath.Join("testdata", "functions"))
	if err != nil {
		t.Fatalf("Registrations: %v", err)
	}
	want := map[string]Kind{"Sync": HTTP, "Work": CloudEvent}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Registrations mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadEmptyDir(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load(empty dir) succeeded, want an error")
	}
}
