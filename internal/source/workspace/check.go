package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
)

// CheckError is a failed Check: Message says what to do about it in one
// line; Err is the cause.
type CheckError struct {
	Message string
	Err     error
}

func (e *CheckError) Error() string { return e.Message }
func (e *CheckError) Unwrap() error { return e.Err }

// Check obtains a token and calls each scope once (groups.list and
// users.list with maxResults=1). A failure is a *CheckError whose message
// says what an administrator must change.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.ts.Token(); err != nil {
		return s.explain("obtain a delegated token", err)
	}
	gl := s.svc.Groups.List().MaxResults(1).Fields("kind,groups(id)").Context(ctx)
	if s.cfg.Domain != "" {
		gl = gl.Domain(s.cfg.Domain)
	} else {
		gl = gl.Customer(s.cfg.Customer)
	}
	if _, err := gl.Do(); err != nil {
		return s.explain("list groups", err)
	}
	if _, err := s.svc.Users.List().Customer(s.cfg.Customer).MaxResults(1).Fields("kind,users(id)").Context(ctx).Do(); err != nil {
		return s.explain("list users", err)
	}
	return nil
}

// explain turns an error into an actionable one-line CheckError.
func (s *Source) explain(what string, err error) error {
	subject := s.cfg.AdminSubject
	msg := ""
	if code, desc, ok := retrieveError(err); ok {
		switch code {
		case "unauthorized_client":
			msg = fmt.Sprintf("domain-wide delegation is not granted: in the Google Admin console, Security → API controls → Domain-wide delegation, "+
				"add client ID %s with scopes %s (changes can take hours to apply)", s.clientID, strings.Join(s.cfg.scopes(), ","))
		case "invalid_grant":
			msg = fmt.Sprintf("the token request for admin_subject %s was refused (invalid_grant: %s): "+
				"check that admin_subject is an existing user's primary email, the key is not deleted, and the clock is right", subject, desc)
		default:
			msg = fmt.Sprintf("the token endpoint refused the request (%s: %s)", code, desc)
		}
		return &CheckError{Message: "workspace: " + what + ": " + msg, Err: err}
	}
	var se *signJWTError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("signJwt as %s failed (%s): grant the runtime identity roles/iam.serviceAccountTokenCreator "+
			"(iam.serviceAccounts.signJwt) on %s and enable the IAM Credentials API", se.sa, oneLine(se.err), se.sa)
		return &CheckError{Message: "workspace: " + what + ": " + msg, Err: err}
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch {
		case ge.Code == http.StatusUnauthorized:
			msg = fmt.Sprintf("the access token was rejected (%s): check that the Admin SDK API is enabled in the key's project", oneLine(ge))
		case ge.Code == http.StatusForbidden && transient(ge):
			msg = fmt.Sprintf("rate limited even after retries (%s): lower qpm or try later", oneLine(ge))
		case ge.Code == http.StatusForbidden && hasReason(ge, "insufficientPermissions"):
			msg = fmt.Sprintf("the token lacks a scope (%s): grant %s", oneLine(ge), strings.Join(s.cfg.scopes(), ","))
		case ge.Code == http.StatusForbidden:
			msg = fmt.Sprintf("admin_subject %s may not read the directory (%s): give it an admin role with Groups and Users read privileges", subject, oneLine(ge))
		case ge.Code == http.StatusBadRequest || ge.Code == http.StatusNotFound:
			msg = fmt.Sprintf("the request was refused (%s): check customer %q and domain %q", oneLine(ge), s.cfg.Customer, s.cfg.Domain)
		default:
			msg = fmt.Sprintf("the Directory API failed (%s): try again later", oneLine(ge))
		}
		return &CheckError{Message: "workspace: " + what + ": " + msg, Err: err}
	}
	return &CheckError{Message: fmt.Sprintf("workspace: %s: cannot reach the API (%s): check endpoint and network", what, oneLine(err)), Err: err}
}

func hasReason(ge *googleapi.Error, reason string) bool {
	for _, x := range ge.Errors {
		if x.Reason == reason {
			return true
		}
	}
	return false
}
