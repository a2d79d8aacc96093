package workspacetest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
)

// EndpointBatch counts batch requests (the calls inside are counted under
// their own endpoints).
const EndpointBatch = "batch"

// batchPath is the Directory API's batch endpoint.
const batchPath = "/batch/admin/directory_v1"

// MaxBatchCalls is the most calls Google accepts in one batch request.
const MaxBatchCalls = 1000

// BatchURL is the batch endpoint.
func (s *Server) BatchURL() string { return s.hs.URL + batchPath }

// serveBatch serves Google's batch protocol: a multipart/mixed body of
// application/http parts, each one Directory API call, answered by a
// multipart/mixed body of one HTTP response per call in the same order
// with Content-ID "response-" + the call's Content-ID. The outer status
// is 200 whatever the calls answer. Each call is served as if sent alone
// (auth from the outer request, faults, quota and counters included).
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	s.count(EndpointBatch)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid batch request: want multipart/mixed with a boundary")
		return
	}
	type call struct {
		id  string
		req *http.Request
	}
	var calls []call
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid batch request: "+err.Error())
			return
		}
		if ct := p.Header.Get("Content-Type"); ct != "application/http" {
			writeError(w, http.StatusBadRequest, "invalid", "global", fmt.Sprintf("Invalid batch request: part Content-Type %q, want application/http", ct))
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(p))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid batch request: "+err.Error())
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid batch request: "+err.Error())
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		calls = append(calls, call{id: strings.Trim(p.Header.Get("Content-ID"), "<>"), req: req})
	}
	switch {
	case len(calls) == 0:
		writeError(w, http.StatusBadRequest, "invalid", "global", "Invalid batch request: no calls")
		return
	case len(calls) > MaxBatchCalls:
		writeError(w, http.StatusBadRequest, "invalid", "global", fmt.Sprintf("A batch request cannot contain more than %d calls", MaxBatchCalls))
		return
	}

	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	for _, c := range calls {
		req := c.req.WithContext(r.Context())
		if req.Header.Get("Authorization") == "" {
			req.Header.Set("Authorization", r.Header.Get("Authorization"))
		}
		rec := httptest.NewRecorder()
		if strings.HasPrefix(req.URL.Path, "/admin/directory/v1/") {
			s.serveHTTP(rec, req)
		} else {
			writeError(rec, http.StatusNotFound, "notFound", "global", "Not Found")
		}
		h := textproto.MIMEHeader{"Content-Type": {"application/http"}}
		if c.id != "" {
			h.Set("Content-ID", "<response-"+c.id+">")
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "backendError", "global", err.Error())
			return
		}
		fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
		if ct := rec.Header().Get("Content-Type"); ct != "" {
			fmt.Fprintf(pw, "Content-Type: %s\r\n", ct)
		}
		fmt.Fprintf(pw, "Content-Length: %d\r\n\r\n", rec.Body.Len())
		pw.Write(rec.Body.Bytes())
	}
	mw.Close()
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusOK)
	w.Write(out.Bytes())
}
