package workspacetest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2/google"
)

// client returns an HTTP client holding a delegated token from srv, got
// through the real x/oauth2 JWT flow.
func client(t *testing.T, srv *Server) *http.Client {
	t.Helper()
	jc, err := google.JWTConfigFromJSON(srv.ServiceAccountKey("sa@fake-project.iam.gserviceaccount.com"), ScopeGroupReadonly, ScopeUserReadonly)
	if err != nil {
		t.Fatal(err)
	}
	jc.Subject = "admin@example.com"
	return jc.Client(context.Background())
}

func getJSON(t *testing.T, c *http.Client, url string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("GET %s: body %q is not JSON: %v", url, b, err)
	}
	return resp.StatusCode, resp.Header, body
}

func smallOrg() *Org {
	org := &Org{CustomerID: "C0test", Domain: "example.com"}
	org.Users = append(org.Users, &User{ID: "1", PrimaryEmail: "admin@example.com"})
	for i := range 7 {
		org.Users = append(org.Users, &User{ID: string(rune('a' + i)), PrimaryEmail: string(rune('a'+i)) + "@example.com"})
	}
	full := &Group{ID: "g1", Email: "full@example.com"}
	for _, u := range org.Users[1:] {
		full.Members = append(full.Members, Member{ID: u.ID, Type: TypeUser})
	}
	org.Groups = []*Group{full, {ID: "g2", Email: "empty@example.com"}}
	return org
}

func TestEmptyGroupHasNoMembersKey(t *testing.T) {
	srv := NewServer(smallOrg())
	defer srv.Close()
	code, _, body := getJSON(t, client(t, srv), srv.URL()+"/admin/directory/v1/groups/empty@example.com/members")
	if code != 200 {
		t.Fatalf("status %d, body %v", code, body)
	}
	want := map[string]any{"kind": "admin#directory#members", "etag": body["etag"]}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("empty group body (-want +got):\n%s", diff)
	}
}

func TestPagingAndFields(t *testing.T) {
	srv := NewServer(smallOrg())
	defer srv.Close()
	c := client(t, srv)
	url := srv.URL() + "/admin/directory/v1/groups/g1/members?maxResults=3&fields=nextPageToken,members(id)"
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		code, _, body := getJSON(t, c, url)
		if code != 200 {
			t.Fatalf("status %d, body %v", code, body)
		}
		for _, m := range body["members"].([]any) {
			mm := m.(map[string]any)
			if len(mm) != 1 {
				t.Errorf("fields=members(id) returned %v", mm)
			}
			ids = append(ids, mm["id"].(string))
		}
		if _, ok := body["kind"]; ok {
			t.Error("kind returned although fields= left it out")
		}
		tok, _ := body["nextPageToken"].(string)
		if tok == "" {
			break
		}
		url = srv.URL() + "/admin/directory/v1/groups/g1/members?maxResults=3&fields=nextPageToken,members(id)&pageToken=" + tok
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e", "f", "g"}, ids); diff != "" {
		t.Errorf("paged IDs (-want +got):\n%s", diff)
	}
}

func TestMaxResultsCap(t *testing.T) {
	org := Generate(1, 700, 3)
	srv := NewServer(org)
	defer srv.Close()
	_, _, body := getJSON(t, client(t, srv), srv.URL()+"/admin/directory/v1/users?customer=my_customer&maxResults=1000")
	if n := len(body["users"].([]any)); n != 500 {
		t.Errorf("users.list maxResults=1000 returned %d users, want the cap of 500", n)
	}
}

func TestQuotaErrorShape(t *testing.T) {
	srv := NewServer(smallOrg(), WithQuota(1, time.Minute))
	defer srv.Close()
	c := client(t, srv)
	getJSON(t, c, srv.URL()+"/admin/directory/v1/groups?customer=my_customer")
	code, h, body := getJSON(t, c, srv.URL()+"/admin/directory/v1/groups?customer=my_customer")
	if code != 403 || h.Get("Retry-After") == "" {
		t.Fatalf("over quota: status %d, Retry-After %q; want 403 with Retry-After", code, h.Get("Retry-After"))
	}
	e := body["error"].(map[string]any)
	detail := e["errors"].([]any)[0].(map[string]any)
	if e["code"] != float64(403) || detail["domain"] != "usageLimits" || detail["reason"] != "userRateLimitExceeded" {
		t.Errorf("quota error body %v, want code 403, domain usageLimits, reason userRateLimitExceeded", body)
	}
	if got := srv.QuotaRejections(); got != 1 {
		t.Errorf("QuotaRejections = %d, want 1", got)
	}
}

func TestRejectTokens(t *testing.T) {
	srv := NewServer(smallOrg())
	defer srv.Close()
	srv.RejectTokens()
	_, err := client(t, srv).Get(srv.URL() + "/admin/directory/v1/groups?customer=my_customer")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("GET with rejected token: %v, want a 401 token error", err)
	}
	if srv.Requests(EndpointToken) != 1 || srv.TotalRequests() != 0 {
		t.Errorf("token requests %d, API requests %d; want 1 and 0", srv.Requests(EndpointToken), srv.TotalRequests())
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(42, 400, 60), Generate(42, 400, 60)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different orgs")
	}
	if reflect.DeepEqual(a, Generate(43, 400, 60)) {
		t.Error("different seeds gave the same org")
	}
	var suspended, external, customer, nested, large, empty int
	ids := map[string]bool{}
	for _, u := range a.Users {
		ids[u.ID] = true
		if u.Suspended {
			suspended++
		}
	}
	for _, g := range a.Groups {
		if len(g.Members) == 0 {
			empty++
		}
		if len(g.Members) > 200 {
			large++
		}
		for _, m := range g.Members {
			switch {
			case m.Type == TypeCustomer:
				customer++
			case m.Type == TypeGroup:
				nested++
			case !ids[m.ID]:
				external++
			}
		}
	}
	for name, n := range map[string]int{"suspended users": suspended, "external members": external,
		"CUSTOMER members": customer, "nested groups": nested, "multi-page groups": large, "empty groups": empty} {
		if n == 0 {
			t.Errorf("generated org has no %s", name)
		}
	}
}

func TestAdminEndpoint(t *testing.T) {
	srv := NewServer(smallOrg())
	defer srv.Close()
	for _, u := range []string{
		"/_fake/rename?user=a&email=alice@example.com",
		"/_fake/remove-member?group=full@example.com&member=b@example.com",
		"/_fake/suspend?user=c",
	} {
		resp, err := http.Post(srv.URL()+u, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("POST %s: status %d", u, resp.StatusCode)
		}
	}
	org := srv.Org()
	if got := org.User("a").PrimaryEmail; got != "alice@example.com" {
		t.Errorf("user a email %q after rename", got)
	}
	if !org.User("c").Suspended {
		t.Error("user c not suspended")
	}
	for _, m := range org.Group("g1").Members {
		if m.ID == "b" {
			t.Error("b still a member after remove-member")
		}
	}
}
