package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/groupsync/groupsync/internal/target"
)

// scimNoTarget is the scimType of a filter or path that matched nothing
// (RFC 7644 §3.12).
const scimNoTarget = "noTarget"

// maxDetail bounds the detail an Error keeps of a server's answer.
const maxDetail = 300

// Error is a SCIM error response. It unwraps to target.ErrNotFound for 404.
type Error struct {
	Method string
	// Path is the request path, without the query.
	Path     string
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scim: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.ScimType != "" {
		fmt.Fprintf(&b, " (%s)", e.ScimType)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// Unwrap maps 404 to target.ErrNotFound.
func (e *Error) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return target.ErrNotFound
	}
	return nil
}

// statusOf returns the HTTP status of a SCIM error, or 0.
func statusOf(err error) int {
	var se *Error
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func scimTypeOf(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.ScimType
	}
	return ""
}

// parseError reads a SCIM error body leniently: status may be a number or a
// string, detail may be missing or the body may not be JSON at all.
func parseError(method, path string, status int, body []byte, token string) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	var raw struct {
		Status   json.RawMessage `json:"status"`
		ScimType string          `json:"scimType"`
		Detail   string          `json:"detail"`
		Message  string          `json:"message"`
	}
	if err := json.Unmarshal(body, &raw); err == nil {
		e.ScimType = raw.ScimType
		e.Detail = raw.Detail
		if e.Detail == "" {
			e.Detail = raw.Message
		}
		if s := strings.Trim(string(raw.Status), `"`); s != "" && status == 0 {
			if n, err := strconv.Atoi(s); err == nil {
				e.Status = n
			}
		}
	} else {
		e.Detail = strings.TrimSpace(string(body))
	}
	// A server that echoes the request must not leak the token into logs.
	// Redact first: cutting first could leave a prefix of the token that
	// no longer matches it.
	if token != "" {
		e.Detail = strings.ReplaceAll(e.Detail, token, "[REDACTED]")
	}
	if len(e.Detail) > maxDetail {
		e.Detail = strings.ToValidUTF8(e.Detail[:maxDetail], "") + "…"
	}
	return e
}
