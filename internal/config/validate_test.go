package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Fragments of a valid file; each case breaks one thing.
const (
	okSources = "sources:\n  corp: {type: workspace, admin_subject: admin@example.com, credentials: keyless}\n"
	okTargets = "targets:\n  app: {type: scim, url: \"https://app.example.com/scim/v2\", token: env://APP_TOKEN}\n"
	okRules   = "rules:\n  - {name: eng, source: corp, target: app}\n"
)

func TestParseValid(t *testing.T) {
	if _, err := Parse("groupsync.yaml", []byte(okSources+okTargets+okRules)); err != nil {
		t.Fatalf("Parse(valid) = %v", err)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "unknown top-level key",
			yaml: okSources + okTargets + okRules + "schedul: \"* * * * *\"\n",
			want: []string{`groupsync.yaml: schedul: unknown key (line 7, did you mean "schedule"?)`},
		},
		{
			name: "unknown nested keys",
			yaml: okSources + "targets:\n  app:\n    type: scim\n    url: https://app.example.com/scim/v2\n    token: env://T\n    colour: blue\n" +
				"rules:\n  - name: eng\n    source: corp\n    target: app\n    policy: {max_delete: 5}\n",
			want: []string{
				`groupsync.yaml: targets.app.colour: unknown key (line 8)`,
				`groupsync.yaml: rules[0].policy.max_delete: unknown key (line 13, did you mean "max_deletes"?)`,
			},
		},
		{
			name: "misspelled required key reports both",
			yaml: okSources + "targets:\n  app: {type: scim, url: \"https://app.example.com\", tokn: env://T}\n" + okRules,
			want: []string{
				`groupsync.yaml: targets.app.tokn: unknown key (line 4, did you mean "token"?)`,
				`groupsync.yaml: targets.app.token: required (want env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V)`,
			},
		},
		{
			name: "wrong types",
			yaml: "sources:\n  corp: {type: workspace, admin_subject: a@example.com, credentials: keyless, qpm: fast}\n" + okTargets +
				"rules:\n  - {name: eng, source: corp, target: app, groups: {include: eng-*}, policy: {dry_run: maybe}}\n",
			want: []string{
				`groupsync.yaml: sources.corp.qpm: "fast" is not a whole number (line 2)`,
				`groupsync.yaml: rules[0].groups.include: "eng-*" is not a list (line 6)`,
				`groupsync.yaml: rules[0].policy.dry_run: "maybe" is not true or false (line 6)`,
			},
		},
		{
			name: "duplicate key skips validation of shifted entries",
			yaml: okSources + okTargets + "rules:\n  - name: eng\n    name: eng2\n  - {name: x}\n",
			want: []string{`groupsync.yaml: rules[0].name: duplicate key (line 7, first at line 6)`},
		},
		{
			name: "syntax error",
			yaml: "rules: [\n",
			want: []string{`groupsync.yaml: line 1: did not find expected node content`},
		},
		{
			name: "empty file",
			yaml: "",
			want: []string{
				`groupsync.yaml: sources: at least one source is required`,
				`groupsync.yaml: targets: at least one target is required`,
				`groupsync.yaml: rules: at least one rule is required`,
			},
		},
		{
			name: "bad URLs",
			yaml: "sources:\n  corp: {type: workspace, admin_subject: a@example.com, credentials: keyless, endpoint: \"localhost:8080\", token_url: \"ftp://x/token\"}\n" +
				"targets:\n  app: {type: scim, url: \"htp:/x\", token: env://T}\n  other: {type: scim, token: env://T}\n" + okRules,
			want: []string{
				`groupsync.yaml: sources.corp.endpoint: "localhost:8080" is not an absolute http(s) URL`,
				`groupsync.yaml: sources.corp.token_url: "ftp://x/token" is not an absolute http(s) URL`,
				`groupsync.yaml: targets.app.url: "htp:/x" is not an absolute http(s) URL`,
				`groupsync.yaml: targets.other.url: required`,
			},
		},
		{
			name: "missing references and required keys",
			yaml: "sources:\n  corp: {type: workspace}\n" + "targets:\n  app: {type: scim}\n" +
				"rules:\n  - {name: eng, source: crop, target: ap}\n  - {name: ops}\n",
			want: []string{
				`groupsync.yaml: sources.corp.admin_subject: required: the admin user that domain-wide delegation impersonates`,
				`groupsync.yaml: sources.corp.credentials: required (want env://NAME, file://PATH, secret://projects/P/secrets/S/versions/V or keyless)`,
				`groupsync.yaml: targets.app.url: required`,
				`groupsync.yaml: targets.app.token: required (want env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V)`,
				`groupsync.yaml: rules[0].source: "crop" is not defined under sources`,
				`groupsync.yaml: rules[0].target: "ap" is not defined under targets`,
				`groupsync.yaml: rules[1].source: required`,
				`groupsync.yaml: rules[1].target: required`,
			},
		},
		{
			name: "unsupported types",
			yaml: "sources:\n  corp: {type: okta, admin_subject: a@example.com, credentials: keyless}\n  other: {admin_subject: a@example.com, credentials: keyless}\n" +
				"targets:\n  app: {type: slack, url: \"https://x.example.com\", token: env://T}\n" + okRules,
			want: []string{
				`groupsync.yaml: sources.corp.type: "okta" is not a supported source type (want workspace or ldap)`,
				`groupsync.yaml: sources.other.type: required (want workspace or ldap)`,
				`groupsync.yaml: targets.app.type: "slack" is not a supported target type (want scim or workspace)`,
			},
		},
		{
			name: "bad patterns",
			yaml: okSources + okTargets + "rules:\n  - name: eng\n    source: corp\n    target: app\n    groups: {include: [\"eng-*@example.com\", \"eng-[\"], exclude: [\"\", \"a\\\\\"]}\n",
			want: []string{
				`groupsync.yaml: rules[0].groups.include[1]: bad pattern "eng-[": syntax error in pattern`,
				`groupsync.yaml: rules[0].groups.exclude[0]: empty pattern`,
				`groupsync.yaml: rules[0].groups.exclude[1]: bad pattern "a\\": syntax error in pattern`,
			},
		},
		{
			name: "bad secret references",
			yaml: "sources:\n  a: {type: workspace, admin_subject: x@example.com, credentials: \"https://k\"}\n" +
				"  b: {type: workspace, admin_subject: x@example.com, credentials: \"secret://projects/p/secrets/s\"}\n" +
				"  c: {type: workspace, admin_subject: x@example.com, credentials: \"file://\"}\n" +
				"targets:\n  app: {type: scim, url: \"https://x.example.com\", token: keyless}\n" +
				"  app2: {type: scim, url: \"https://x.example.com\", token: \"env://MY-TOKEN\"}\n" +
				"rules:\n  - {name: eng, source: a, target: app}\n",
			want: []string{
				`groupsync.yaml: sources.a.credentials: is not a secret reference; the value is not shown (want env://NAME, file://PATH, secret://projects/P/secrets/S/versions/V or keyless)`,
				`groupsync.yaml: sources.b.credentials: the secret:// reference is not secret://projects/P/secrets/S/versions/V`,
				`groupsync.yaml: sources.c.credentials: the file:// reference has no file path (want file://PATH)`,
				`groupsync.yaml: targets.app.token: is not a secret reference; the value is not shown (want env://NAME, file://PATH or secret://projects/P/secrets/S/versions/V)`,
				`groupsync.yaml: targets.app2.token: the env:// reference does not name an environment variable (want env://NAME)`,
			},
		},
		{
			name: "bad source fields",
			yaml: "sources:\n  corp: {type: workspace, admin_subject: admin, credentials: keyless, service_account: sa, domain: \"a@b\", qpm: -5}\n" + okTargets + okRules,
			want: []string{
				`groupsync.yaml: sources.corp.admin_subject: "admin" is not an email address`,
				`groupsync.yaml: sources.corp.service_account: "sa" is not a service account email`,
				`groupsync.yaml: sources.corp.domain: "a@b" is not a domain name`,
				`groupsync.yaml: sources.corp.qpm: -5 is not a positive number`,
			},
		},
		{
			name: "bad target numbers",
			yaml: okSources + "targets:\n  app: {type: scim, url: \"https://x.example.com\", token: env://T, batch_size: -1, rpm: -2}\n" + okRules,
			want: []string{
				`groupsync.yaml: targets.app.batch_size: -1 is not a positive number`,
				`groupsync.yaml: targets.app.rpm: -2 is not a positive number (0 means no pacing)`,
			},
		},
		{
			name: "bad policy",
			yaml: okSources + okTargets + "rules:\n  - name: eng\n    source: corp\n    target: app\n" +
				"    policy: {mode: mirror, deprovision: purge, max_deletes: lots, max_deletes_per_group: \"150%\", max_scope_drop: \"-1\"}\n",
			want: []string{
				`groupsync.yaml: rules[0].policy.mode: "mirror" is not a mode (want sync, add-only or remove-only)`,
				`groupsync.yaml: rules[0].policy.deprovision: "purge" is not a deprovision action (want disable, delete or none)`,
				`groupsync.yaml: rules[0].policy.max_deletes: "lots" is not a count or a percentage like "10%"`,
				`groupsync.yaml: rules[0].policy.max_deletes_per_group: "150%" is not a percentage between 0% and 100%`,
				`groupsync.yaml: rules[0].policy.max_scope_drop: "-1" is not a count or a percentage like "10%"`,
			},
		},
		{
			name: "bad members",
			yaml: okSources + okTargets + "rules:\n  - {name: eng, source: corp, target: app, members: {types: [user, BOT], nested: deep}}\n",
			want: []string{
				`groupsync.yaml: rules[0].members.types[1]: "BOT" is not a member type (want USER, GROUP, CUSTOMER or EXTERNAL)`,
				`groupsync.yaml: rules[0].members.nested: "deep" is not flatten or direct`,
			},
		},
		{
			name: "rule names",
			yaml: okSources + okTargets + "rules:\n  - {name: eng, source: corp, target: app}\n  - {name: eng, source: corp, target: app}\n" +
				"  - {name: \"a/b\", source: corp, target: app}\n  - {source: corp, target: app}\n",
			want: []string{
				`groupsync.yaml: rules[1].name: duplicate rule name "eng" (also rules[0])`,
				`groupsync.yaml: rules[2].name: "a/b" may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit`,
				`groupsync.yaml: rules[3].name: required`,
			},
		},
		{
			name: "empty rules",
			yaml: okSources + okTargets + "rules: []\n",
			want: []string{`groupsync.yaml: rules: at least one rule is required`},
		},
		{
			name: "bad store scheme",
			yaml: "store: sqlite://x.db\n" + okSources + okTargets + okRules,
			want: []string{`groupsync.yaml: store: "sqlite://x.db" is not a store URL (want bolt://PATH or firestore://projects/P/databases/D)`},
		},
		{
			name: "bad firestore store",
			yaml: "store: firestore://my-project\n" + okSources + okTargets + okRules,
			want: []string{`groupsync.yaml: store: "firestore://my-project" is not firestore://projects/P/databases/D`},
		},
		{
			name: "empty bolt path",
			yaml: "store: \"bolt://\"\n" + okSources + okTargets + okRules,
			want: []string{`groupsync.yaml: store: "bolt://" has no file path (want bolt://PATH)`},
		},
		{
			name: "schedule field count",
			yaml: okSources + okTargets + okRules + "schedule: \"*/30 * * *\"\n",
			want: []string{`groupsync.yaml: schedule: "*/30 * * *" has 4 fields, want 5 (minute hour day-of-month month day-of-week)`},
		},
		{
			name: "schedule range",
			yaml: okSources + okTargets + okRules + "schedule: \"0 24 * * *\"\n",
			want: []string{`groupsync.yaml: schedule: "0 24 * * *": hour field "24": 24 is out of range 0-23`},
		},
		{
			name: "schedule step and name",
			yaml: okSources + okTargets + okRules + "schedule: \"*/0 * * FOO *\"\n",
			want: []string{`groupsync.yaml: schedule: "*/0 * * FOO *": minute field "*/0": bad step "0"`},
		},
		{
			name: "second document",
			yaml: okSources + okTargets + okRules + "---\nstore: bolt://x\n",
			want: []string{`groupsync.yaml: only one YAML document is allowed`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("groupsync.yaml", []byte(tt.yaml))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse() = %+v, %v; want a *ValidationError", f, err)
			}
			if f != nil {
				t.Errorf("Parse() returned a file along with problems")
			}
			if diff := cmp.Diff(tt.want, ve.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidationErrorOneLinePerProblem(t *testing.T) {
	_, err := Parse("c.yaml", []byte(okSources+okTargets+"rules:\n  - {name: a, source: x, target: y}\n"))
	want := "c.yaml: rules[0].source: \"x\" is not defined under sources\nc.yaml: rules[0].target: \"y\" is not defined under targets"
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestScheduleAccepted(t *testing.T) {
	for _, s := range []string{"*/30 * * * *", "0 9-17 * * MON-FRI", "5,35 */2 1 jan,jul 0", "0 0 1-31/2 * 7"} {
		if err := checkCron(s); err != nil {
			t.Errorf("checkCron(%q) = %v, want nil", s, err)
		}
	}
}
