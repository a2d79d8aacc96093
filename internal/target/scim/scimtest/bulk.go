package scimtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	schemaBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	schemaBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

// BulkRequest is what the server saw of one POST /Bulk.
type BulkRequest struct {
	// Operations is the number of operations in the body (0 when the
	// body was refused before it was read).
	Operations int
	// Bytes is the size of the body.
	Bytes int
	// Status is the status the request as a whole got.
	Status int
}

// BulkRequests returns the POST /Bulk requests served, in order.
func (s *Server) BulkRequests() []BulkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bulks)
}

// bulk serves POST /Bulk as RFC 7644 §3.7 describes it: 413 when the body
// or the number of operations is over the advertised limits, else 200 with
// one result per operation, in order, each with its own status. Only POST
// operations on /Users are applied; others get a 400 of their own.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) *scimError {
	if r.Method != http.MethodPost {
		return errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method)
	}
	maxBytes := s.opts.BulkMaxPayloadSize
	body, rerr := io.ReadAll(io.LimitReader(r.Body, int64(maxBytes)+1))
	rec := BulkRequest{Bytes: len(body)}
	if r.ContentLength > int64(rec.Bytes) {
		rec.Bytes = int(r.ContentLength)
	}
	err := s.bulkApply(w, body, rerr, &rec)
	if err != nil {
		rec.Status = err.status
	}
	s.bulks = append(s.bulks, rec)
	return err
}

func (s *Server) bulkApply(w http.ResponseWriter, body []byte, rerr error, rec *BulkRequest) *scimError {
	switch {
	case s.opts.BulkMaxOperations <= 0:
		return errorf(http.StatusNotImplemented, "", "bulk operations are not supported")
	case s.opts.BulkStatus != 0:
		return errorf(s.opts.BulkStatus, "", "bulk operations are not supported")
	case rerr != nil:
		return errorf(http.StatusBadRequest, "invalidSyntax", "cannot read the body: %v", rerr)
	case rec.Bytes > s.opts.BulkMaxPayloadSize:
		return errorf(http.StatusRequestEntityTooLarge, "", "the request is %d bytes, over maxPayloadSize %d", rec.Bytes, s.opts.BulkMaxPayloadSize)
	}
	var msg struct {
		Schemas      []string `json:"schemas"`
		FailOnErrors int      `json:"failOnErrors"`
		Operations   []struct {
			Method string          `json:"method"`
			BulkID string          `json:"bulkId"`
			Path   string          `json:"path"`
			Data   json.RawMessage `json:"data"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return errorf(http.StatusBadRequest, "invalidSyntax", "bad BulkRequest: %v", err)
	}
	rec.Operations = len(msg.Operations)
	switch {
	case !slices.Contains(msg.Schemas, schemaBulkRequest):
		return errorf(http.StatusBadRequest, "invalidSyntax", "BulkRequest schema missing")
	case len(msg.Operations) == 0:
		return errorf(http.StatusBadRequest, "invalidValue", "no Operations")
	case len(msg.Operations) > s.opts.BulkMaxOperations:
		return errorf(http.StatusRequestEntityTooLarge, "", "%d operations, over maxOperations %d", len(msg.Operations), s.opts.BulkMaxOperations)
	case msg.FailOnErrors < 0:
		return errorf(http.StatusBadRequest, "invalidValue", "failOnErrors must not be negative")
	}
	results := make([]map[string]any, 0, len(msg.Operations))
	failed := 0
	for _, op := range msg.Operations {
		if msg.FailOnErrors > 0 && failed >= msg.FailOnErrors {
			break
		}
		res := map[string]any{"method": op.Method}
		if op.BulkID != "" {
			res["bulkId"] = op.BulkID
		}
		u, err := s.bulkCreate(op.Method, op.Path, op.BulkID, op.Data)
		if err != nil {
			failed++
			res["status"] = strconv.Itoa(err.status)
			res["response"] = errorBody(err)
		} else {
			res["status"] = strconv.Itoa(http.StatusCreated)
			res["location"] = s.srv.URL + "/scim/v2/Users/" + u.ID
			if v := s.etag(u.version); v != "" {
				res["version"] = v
			}
		}
		results = append(results, res)
	}
	rec.Status = http.StatusOK
	writeJSON(w, http.StatusOK, "", map[string]any{
		"schemas":    []string{schemaBulkResponse},
		"Operations": results,
	})
	return nil
}

// bulkCreate applies one operation: a POST to /Users with a bulkId.
func (s *Server) bulkCreate(method, path, bulkID string, data json.RawMessage) (*User, *scimError) {
	switch {
	case !strings.EqualFold(method, http.MethodPost):
		return nil, errorf(http.StatusBadRequest, "invalidValue", "bulk %s operations are not supported", method)
	case path != "/Users":
		return nil, errorf(http.StatusBadRequest, "invalidPath", "bulk operations on %q are not supported", path)
	case bulkID == "":
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "a POST operation needs a bulkId")
	}
	var body map[string]any
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&body); err != nil || body == nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "data is not a JSON object")
	}
	return s.createUser(body)
}
