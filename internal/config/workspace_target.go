package config

import (
	"fmt"
	"strings"

	"github.com/groupsync/groupsync/internal/target/workspace"
)

// Defaults of a workspace target.
const (
	DefaultWorkspaceBatchSize = workspace.DefaultBatchSize
	DefaultEmailTemplate      = workspace.DefaultEmailTemplate
	DefaultOrgUnit            = "/"
)

// withWorkspaceDefaults fills in a workspace target's defaults.
func (t Target) withWorkspaceDefaults() Target {
	if t.Customer == "" {
		t.Customer = DefaultCustomer
	}
	if t.QPM == 0 {
		t.QPM = DefaultQPM
	}
	if t.BatchSize == 0 {
		t.BatchSize = DefaultWorkspaceBatchSize
	}
	if t.UserEmail == "" {
		t.UserEmail = DefaultEmailTemplate
	}
	if t.GroupEmail == "" {
		t.GroupEmail = DefaultEmailTemplate
	}
	if t.OrgUnit == "" {
		t.OrgUnit = DefaultOrgUnit
	}
	return t
}

// validateWorkspace checks a workspace target (after
// withWorkspaceDefaults).
func (t Target) validateWorkspace(p *problems, key string) {
	checkDelegation(p, key, t.AdminSubject, t.Credentials, t.ServiceAccount)
	checkConnection(p, key, t.Endpoint, t.TokenURL, t.QPM)
	for _, f := range []struct{ name, v string }{{"user_email", t.UserEmail}, {"group_email", t.GroupEmail}} {
		if _, err := workspace.ParseEmailTemplate(f.v); err != nil {
			p.add(key+"."+f.name, "bad template %q: %v", f.v, err)
		}
	}
	for _, from := range sortedKeys(t.DomainMap) {
		if !isDomain(from) {
			p.add(key+".domain_map", "%q is not a domain name", from)
		}
		if to := t.DomainMap[from]; !isDomain(to) {
			p.add(key+".domain_map."+from, "%q is not a domain name", to)
		}
	}
	if !strings.HasPrefix(t.OrgUnit, "/") {
		p.add(key+".org_unit", "%q is not an org unit path (want /, or /Parent/Child)", t.OrgUnit)
	}
	if t.BatchSize < 1 || t.BatchSize > workspace.MaxBatchSize {
		p.add(key+".batch_size", "%d is not between 1 and %d (Google's batch limit)", t.BatchSize, workspace.MaxBatchSize)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"url", t.URL != ""}, {"token", t.Token != ""}, {"rpm", t.RPM != 0}} {
		if f.set {
			p.add(key+"."+f.name, "applies to type %s only", TypeSCIM)
		}
	}
}

// rejectWorkspaceKeys reports workspace keys set on a scim target.
func (t Target) rejectWorkspaceKeys(p *problems, key string) {
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"customer", t.Customer != ""}, {"admin_subject", t.AdminSubject != ""}, {"credentials", t.Credentials != ""},
		{"service_account", t.ServiceAccount != ""}, {"endpoint", t.Endpoint != ""}, {"token_url", t.TokenURL != ""},
		{"qpm", t.QPM != 0}, {"user_email", t.UserEmail != ""}, {"group_email", t.GroupEmail != ""},
		{"domain_map", len(t.DomainMap) > 0}, {"org_unit", t.OrgUnit != ""},
	} {
		if f.set {
			p.add(key+"."+f.name, "applies to type %s only", TypeWorkspace)
		}
	}
}

// checkDelegation checks the domain-wide delegation keys that workspace
// sources and targets share.
func checkDelegation(p *problems, key, adminSubject, credentials, serviceAccount string) {
	switch {
	case adminSubject == "":
		p.add(key+".admin_subject", "required: the admin user that domain-wide delegation impersonates")
	case !isEmail(adminSubject):
		p.add(key+".admin_subject", "%q is not an email address", adminSubject)
	}
	switch {
	case credentials == "":
		p.add(key+".credentials", "required (want %s)", credentialsWant)
	case credentials == CredentialsKeyless:
	default:
		if err := checkSecretRef(credentials); err != nil {
			if strings.Contains(err.Error(), secretRefWant) {
				err = fmt.Errorf("%s (want %s)", notARef, credentialsWant)
			}
			p.add(key+".credentials", "%v", err)
		}
	}
	if serviceAccount != "" && !isEmail(serviceAccount) {
		p.add(key+".service_account", "%q is not a service account email", serviceAccount)
	}
}

// checkConnection checks the API connection keys of workspace sources and
// targets.
func checkConnection(p *problems, key, endpoint, tokenURL string, qpm int) {
	checkURL(p, key+".endpoint", endpoint, false)
	checkURL(p, key+".token_url", tokenURL, false)
	if qpm < 0 {
		p.add(key+".qpm", "%d is not a positive number", qpm)
	}
}

func isDomain(s string) bool {
	return s != "" && !strings.ContainsAny(s, "@/: ") && strings.Contains(s, ".")
}
