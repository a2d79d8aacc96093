package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/groupsync/groupsync/internal/model"
)

// EmailData is what the user_email and group_email templates see.
type EmailData struct {
	// LocalPart is the source address before the "@".
	LocalPart string
	// Domain is the source address's domain after domain_map; SourceDomain
	// is the domain as the source has it.
	Domain       string
	SourceDomain string
	// Email and ID are the source object's address and immutable ID.
	Email string
	ID    string
	// Users only.
	GivenName, FamilyName, DisplayName string
	// Groups only.
	Name string
}

// ParseEmailTemplate parses a primary-email template and tries it on a
// sample, so that a field name that does not exist fails here (at config
// validation) rather than on the first user.
func ParseEmailTemplate(s string) (*template.Template, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty template")
	}
	tmpl, err := template.New("email").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, err
	}
	sample := EmailData{LocalPart: "ada", Domain: "example.com", SourceDomain: "example.com", Email: "ada@example.com",
		ID: "1", GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", Name: "eng"}
	out, err := render(tmpl, sample)
	if err != nil {
		return nil, err
	}
	if !isAddress(out) {
		return nil, fmt.Errorf("gives %q for ada@example.com, not an email address", out)
	}
	return tmpl, nil
}

func render(tmpl *template.Template, d EmailData) (string, error) {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.ToLower(strings.TrimSpace(b.String())), nil
}

func isAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at == strings.LastIndexByte(s, '@') && at < len(s)-1 &&
		!strings.ContainsAny(s, " \t\r\n/<>,;") && strings.Contains(s[at:], ".")
}

// data splits a source address and maps its domain.
func (t *Target) data(email, id string) (EmailData, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return EmailData{}, fmt.Errorf("source address %q of %s has no domain", email, id)
	}
	d := EmailData{LocalPart: email[:at], SourceDomain: email[at+1:], Email: email, ID: id}
	d.Domain = d.SourceDomain
	if to, ok := t.domainMap[d.SourceDomain]; ok {
		d.Domain = to
	}
	return d, nil
}

func (t *Target) address(key string, tmpl *template.Template, d EmailData) (string, error) {
	out, err := render(tmpl, d)
	if err != nil {
		return "", fmt.Errorf("%s for %s: %w", key, d.Email, err)
	}
	if !isAddress(out) {
		return "", fmt.Errorf("%s gives %q for %s, not an email address", key, out, d.Email)
	}
	return out, nil
}

// userAddress is the Google primary email of a source user.
func (t *Target) userAddress(u model.User) (string, error) {
	d, err := t.data(u.Email, u.ID)
	if err != nil {
		return "", err
	}
	d.GivenName, d.FamilyName, d.DisplayName = u.GivenName, u.FamilyName, u.DisplayName
	return t.address("user_email", t.userEmail, d)
}

// groupAddress is the Google email of a source group.
func (t *Target) groupAddress(g model.GroupInfo) (string, error) {
	d, err := t.data(g.Email, g.ID)
	if err != nil {
		return "", err
	}
	d.Name = g.Name
	return t.address("group_email", t.groupEmail, d)
}
