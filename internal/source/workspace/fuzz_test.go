package workspace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

// FuzzReadMembers answers every members.list and users.list call with a
// fuzzed body (tokens come from the fake): a read must end with an error,
// an incomplete result, or members that all have IDs; never a panic, and
// never a complete group built from a body that was not a listing.
func FuzzReadMembers(f *testing.F) {
	f.Add([]byte(`{"kind":"admin#directory#members","members":[{"id":"1","email":"a@example.com","type":"USER","role":"MEMBER","status":"ACTIVE"}]}`))
	f.Add([]byte(`{"kind":"admin#directory#members"}`))
	f.Add([]byte(`{"kind":"admin#directory#members","nextPageToken":"p2","members":[{"id":"g","type":"GROUP"}]}`))
	f.Add([]byte(`{"error":{"code":403,"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}`))
	f.Add([]byte(`{}`))
	fake := workspacetest.NewServer(workspacetest.SmallOrg())
	f.Cleanup(fake.Close)
	var mu sync.Mutex
	var body []byte
	dir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/users") {
			w.Write([]byte(`{"kind":"admin#directory#users","users":[{"id":"1","primaryEmail":"a@example.com"}]}`))
			return
		}
		w.Write(b)
	}))
	f.Cleanup(dir.Close)
	src, err := workspace.New(context.Background(), workspace.Config{
		AdminSubject: "admin@example.com", Credentials: fake.ServiceAccountKey("fuzz@example.iam.gserviceaccount.com"),
		Endpoint: dir.URL, QPM: 6_000_000, MaxAttempts: 1, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond,
		QuotaPatience: time.Millisecond,
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		mu.Lock()
		body = page
		mu.Unlock()
		src.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := src.ReadMembers(ctx, model.GroupInfo{ID: "g1", Email: "eng@example.com"}, model.MemberOptions{})
		if ctx.Err() != nil {
			t.Fatalf("read did not end in 5s (err %v)", err)
		}
		if err != nil || m.Incomplete {
			return
		}
		if !strings.Contains(string(page), "admin#directory#members") {
			t.Fatalf("a body that is not a members listing gave a complete group: %+v", m)
		}
		for _, mem := range m.Members {
			if mem.ID == "" {
				t.Fatalf("complete group with a member without ID: %+v", m)
			}
		}
	})
}
