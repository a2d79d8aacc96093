package scimtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// client sends raw SCIM requests to a Server, so that these tests see the
// fake's answers as they are, without the scim client's retries and
// fallbacks.
type client struct {
	tb  testing.TB
	srv *scimtest.Server
}

// do sends body (when not nil) as JSON and returns the status and the
// decoded answer (nil when it has no body).
func (c client) do(method, path string, body any) (int, map[string]any) {
	c.tb.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.tb.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.tb.Context(), method, c.srv.URL()+path, r)
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && err != io.EOF {
		c.tb.Fatalf("%s %s: decode: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// must is do that fails the test unless the status is want.
func (c client) must(want int, method, path string, body any) map[string]any {
	c.tb.Helper()
	got, out := c.do(method, path, body)
	if got != want {
		c.tb.Fatalf("%s %s: status %d (%v), want %d", method, path, got, out, want)
	}
	return out
}

func userBody(userName, externalID string) map[string]any {
	b := map[string]any{
		"userName":    userName,
		"displayName": "D",
		"name":        map[string]any{"givenName": "G", "familyName": "F"},
		"emails":      []any{map[string]any{"value": userName, "primary": true}},
		"active":      true,
	}
	if externalID != "" {
		b["externalId"] = externalID
	}
	return b
}

func (c client) createUser(userName, externalID string) string {
	c.tb.Helper()
	return c.must(http.StatusCreated, http.MethodPost, "/Users", userBody(userName, externalID))["id"].(string)
}

func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": list}
}

func members(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// list reads every page of a listing and returns the IDs in order.
func (c client) list(resource, filter string, count int) []string {
	c.tb.Helper()
	var ids []string
	for start := 1; ; {
		q := url.Values{"startIndex": {fmt.Sprint(start)}, "count": {fmt.Sprint(count)}}
		if filter != "" {
			q.Set("filter", filter)
		}
		out := c.must(http.StatusOK, http.MethodGet, "/"+resource+"?"+q.Encode(), nil)
		res, _ := out["Resources"].([]any)
		for _, r := range res {
			ids = append(ids, r.(map[string]any)["id"].(string))
		}
		total := int(out["totalResults"].(float64))
		start += len(res)
		if len(res) == 0 || start > total {
			return ids
		}
	}
}
