package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const googleRules = "rules:\n  - {name: eng, source: corp, target: google}\n"

func TestWorkspaceTargetDefaults(t *testing.T) {
	yaml := okSources + "targets:\n  google: {type: workspace, admin_subject: admin@example.com, credentials: keyless}\n" + googleRules
	f, err := Parse("groupsync.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := Target{
		Type: TypeWorkspace, AdminSubject: "admin@example.com", Credentials: CredentialsKeyless,
		Customer: "my_customer", QPM: 2400, BatchSize: 1000, OrgUnit: "/",
		UserEmail: "{{.LocalPart}}@{{.Domain}}", GroupEmail: "{{.LocalPart}}@{{.Domain}}",
	}
	if diff := cmp.Diff(want, f.Targets["google"]); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestWorkspaceTargetProblems(t *testing.T) {
	tests := []struct {
		name, target string
		want         []string
	}{
		{
			name:   "missing",
			target: "{type: workspace}",
			want: []string{
				`groupsync.yaml: targets.google.admin_subject: required: the admin user that domain-wide delegation impersonates`,
				`groupsync.yaml: targets.google.credentials: required (want env://NAME, file://PATH, secret://projects/P/secrets/S/versions/V or keyless)`,
			},
		},
		{
			name: "bad values",
			target: `{type: workspace, admin_subject: admin@example.com, credentials: keyless, user_email: "{{.Local}}@x.com",` +
				` group_email: "{{.LocalPart", domain_map: {corp.example: "not a domain"}, org_unit: Synced, batch_size: 1001,` +
				` endpoint: "ftp://x", url: "https://x", rpm: 5}`,
			want: []string{
				`groupsync.yaml: targets.google.endpoint: "ftp://x" is not an absolute http(s) URL`,
				`groupsync.yaml: targets.google.user_email: bad template "{{.Local}}@x.com": template: email:1:2: executing "email" at <.Local>: can't evaluate field Local in type workspace.EmailData`,
				`groupsync.yaml: targets.google.group_email: bad template "{{.LocalPart": template: email:1: unclosed action`,
				`groupsync.yaml: targets.google.domain_map.corp.example: "not a domain" is not a domain name`,
				`groupsync.yaml: targets.google.org_unit: "Synced" is not an org unit path (want /, or /Parent/Child)`,
				`groupsync.yaml: targets.google.batch_size: 1001 is not between 1 and 1000 (Google's batch limit)`,
				`groupsync.yaml: targets.google.url: applies to type scim only`,
				`groupsync.yaml: targets.google.rpm: applies to type scim only`,
			},
		},
		{
			name:   "a template that is no address",
			target: `{type: workspace, admin_subject: admin@example.com, credentials: keyless, user_email: "{{.GivenName}}"}`,
			want: []string{
				`groupsync.yaml: targets.google.user_email: bad template "{{.GivenName}}": gives "ada" for ada@example.com, not an email address`,
			},
		},
		{
			name:   "workspace keys on a scim target",
			target: `{type: scim, url: "https://x.example.com", token: env://T, admin_subject: admin@example.com, domain_map: {a.example: b.example}}`,
			want: []string{
				`groupsync.yaml: targets.google.admin_subject: applies to type workspace only`,
				`groupsync.yaml: targets.google.domain_map: applies to type workspace only`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("groupsync.yaml", []byte(okSources+"targets:\n  google: "+tt.target+"\n"+googleRules))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
