package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/engine"
)

// maxBody bounds a start request's body.
const maxBody = 64 << 10

// startBody is the JSON form of a start request. Unknown fields (force
// among them) are refused rather than ignored, so that a caller never
// believes a flag took effect.
type startBody struct {
	Rule   string `json:"rule"`
	Group  string `json:"group"`
	DryRun bool   `json:"dry_run"`
}

// formFields are the form and query fields a start request may carry.
var formFields = []string{"rule", "group", "dry_run"}

// errUnsupportedMedia: a start request's body is neither JSON nor a form.
// Ignoring such a body would start a run without the caller's fields (a
// text/plain {"dry_run":true} once started a live run of every rule).
var errUnsupportedMedia = errors.New("the body must be application/json or a form (application/x-www-form-urlencoded or multipart/form-data)")

// parseStart reads a start request from a JSON body, a form body or the
// query string.
func parseStart(r *http.Request) (engine.Request, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json", "application/x-www-form-urlencoded", "multipart/form-data":
	default:
		// Any other body, with or without a Content-Type, is refused;
		// no body at all leaves the query string.
		if n, _ := r.Body.Read(make([]byte, 1)); n > 0 {
			return engine.Request{}, errUnsupportedMedia
		}
	}
	if ct == "application/json" {
		var b startBody
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		err := dec.Decode(&b)
		if errors.Is(err, io.EOF) {
			err = nil // an empty body starts a full run
		}
		if err != nil {
			return engine.Request{}, fmt.Errorf("body: %s", refusal(err))
		}
		if dec.More() {
			return engine.Request{}, errors.New("body: more than one JSON value")
		}
		return engine.Request{Rule: strings.TrimSpace(b.Rule), Group: strings.TrimSpace(b.Group), DryRun: b.DryRun}, nil
	}
	if err := r.ParseForm(); err != nil {
		return engine.Request{}, fmt.Errorf("form: %v", err)
	}
	for k := range r.Form {
		if !slices.Contains(formFields, k) {
			return engine.Request{}, fmt.Errorf("field %q: %s", k, refusal(fmt.Errorf("unknown field %q", k)))
		}
	}
	req := engine.Request{Rule: strings.TrimSpace(r.Form.Get("rule")), Group: strings.TrimSpace(r.Form.Get("group"))}
	switch v := r.Form.Get("dry_run"); v {
	case "":
	case "on": // an HTML checkbox
		req.DryRun = true
	default:
		d, err := strconv.ParseBool(v)
		if err != nil {
			return engine.Request{}, fmt.Errorf("dry_run: %q is not a boolean", v)
		}
		req.DryRun = d
	}
	return req, nil
}

// refusal explains why force in particular is refused.
func refusal(err error) string {
	if strings.Contains(err.Error(), `"force"`) {
		return "force is not accepted over HTTP: a request can make a run safer, never less safe (approve the held job with `groupsync approve JOB`)"
	}
	return err.Error()
}

// CheckRequest validates a request against the deployed config: the rule
// must exist and force is refused. Errors wrap ErrBadRequest.
func CheckRequest(cfg *config.File, req engine.Request) error {
	if req.Force {
		return fmt.Errorf("%w: force is not accepted over HTTP", ErrBadRequest)
	}
	if req.Rule != "" {
		if _, ok := cfg.Rule(req.Rule); !ok {
			return fmt.Errorf("%w: no rule named %q", ErrBadRequest, req.Rule)
		}
	}
	return nil
}
