package scim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim"
)

// scriptedBulk is a SCIM server whose POST /Bulk answers each operation
// as the test scripts it, by bulkId, in the forms servers use.
type scriptedBulk struct {
	t       *testing.T
	answers map[string]string // bulkId → the operation's result, JSON

	mu       sync.Mutex
	bulkBody map[string]any
	singles  []string // userNames POSTed to /Users
	// visible is the user a lookup finds once the Bulk request is served.
	visible bool
}

func (s *scriptedBulk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/scim+json")
	switch p := strings.TrimPrefix(r.URL.Path, "/scim/v2"); {
	case p == "/ServiceProviderConfig":
		fmt.Fprint(w, `{"patch":{"supported":true},"bulk":{"supported":true,"maxOperations":"10","maxPayloadSize":1048576},"filter":{"supported":true,"maxResults":100}}`)
	case p == "/Users" && r.Method == http.MethodGet:
		var res []string
		if s.visible && strings.Contains(r.URL.Query().Get("filter"), "exists@example.com") {
			res = append(res, `{"id":"ext-1","userName":"exists@example.com","externalId":"someone-else"}`)
		}
		fmt.Fprintf(w, `{"totalResults":%d,"startIndex":1,"itemsPerPage":%[1]d,"Resources":[%s]}`, len(res), strings.Join(res, ","))
	case p == "/Users" && r.Method == http.MethodPost:
		var u struct{ UserName string }
		json.NewDecoder(r.Body).Decode(&u)
		s.singles = append(s.singles, u.UserName)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":"single-%s"}`, strings.TrimSuffix(u.UserName, "@example.com"))
	case p == "/Bulk" && r.Method == http.MethodPost:
		if err := json.NewDecoder(r.Body).Decode(&s.bulkBody); err != nil {
			s.t.Errorf("Bulk body: %v", err)
		}
		var out []string
		for _, op := range s.bulkBody["Operations"].([]any) {
			id := op.(map[string]any)["bulkId"].(string)
			if a, ok := s.answers[id]; ok {
				out = append(out, a)
			}
		}
		s.visible = true
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],"Operations":[%s]}`, strings.Join(out, ","))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestBulkAnswers maps each form of an operation's answer to the result
// CreateUser gives for the same answer to its POST.
func TestBulkAnswers(t *testing.T) {
	s := &scriptedBulk{t: t, answers: map[string]string{
		"0": `{"method":"POST","bulkId":"0","status":"201","response":{"id":"r-0"}}`,
		"1": `{"method":"POST","bulkId":"1","status":201,"location":"https://h.example.com/scim/v2/Users/loc-1"}`,
		"2": `{"method":"POST","bulkId":"2","status":{"code":201},"location":"/scim/v2/Users/loc-2/"}`,
		"3": `{"method":"POST","bulkId":"3","status":"400","response":{"status":"400","scimType":"invalidValue","detail":"bad title"}}`,
		"4": `{"method":"POST","bulkId":"4","status":"409","response":{"scimType":"uniqueness"}}`,
		"5": `{"method":"POST","bulkId":"5","status":"503"}`,
		// 6 is missing from the answer.
		"7": `{"method":"POST","bulkId":"7","status":"201"}`,
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tg, err := scim.New(t.Context(), scim.Config{URL: srv.URL + "/scim/v2", Token: "tok", MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var users []target.UserCreate
	for i := range 8 {
		u := model.User{ID: fmt.Sprintf("src-%d", i), Email: fmt.Sprintf("u%d@example.com", i)}
		if i == 4 {
			u.Email = "exists@example.com"
		}
		users = append(users, target.UserCreate{User: u, Opts: target.CreateOptions{Active: true, Adopt: true}})
	}
	res := tg.CreateUsers(t.Context(), users)

	type got struct {
		ID      string
		Adopted bool
		Status  int
		Err     string
	}
	var gots []got
	for _, r := range res {
		g := got{ID: r.ID, Adopted: r.Adopted}
		var se *scim.Error
		if errors.As(r.Err, &se) {
			g.Status = se.Status
		}
		if r.Err != nil {
			g.Err = r.Err.Error()
		}
		gots = append(gots, g)
	}
	want := []got{
		{ID: "r-0"},
		{ID: "loc-1"},
		{ID: "loc-2"},
		{Status: http.StatusBadRequest, Err: "scim: create user u3@example.com: scim: POST /Users: 400 Bad Request (invalidValue): bad title"},
		{ID: "ext-1", Adopted: true},
		{ID: "single-u5"}, // retried as CreateUser would
		{ID: "single-u6"}, // outcome unknown: looked up, then created
		{Err: "scim: create user u7@example.com: response has no id"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u5@example.com", "u6@example.com"}, s.singles); diff != "" {
		t.Errorf("users POSTed one by one (-want +got):\n%s", diff)
	}

	// The request: a BulkRequest without failOnErrors, one POST /Users
	// operation per user, bulkIds unique.
	if _, ok := s.bulkBody["failOnErrors"]; ok {
		t.Errorf("Bulk request sets failOnErrors: %v", s.bulkBody["failOnErrors"])
	}
	if got := fmt.Sprint(s.bulkBody["schemas"]); got != "[urn:ietf:params:scim:api:messages:2.0:BulkRequest]" {
		t.Errorf("schemas = %s", got)
	}
	ops := s.bulkBody["Operations"].([]any)
	seen := map[string]bool{}
	for i, o := range ops {
		op := o.(map[string]any)
		data, _ := op["data"].(map[string]any)
		id, _ := op["bulkId"].(string)
		if op["method"] != "POST" || op["path"] != "/Users" || id == "" || seen[id] || data["userName"] != users[i].User.Email {
			t.Errorf("operation %d = %v, want a POST /Users of %s with a unique bulkId", i, op, users[i].User.Email)
		}
		seen[id] = true
	}

	st := tg.Stats()
	// One Bulk request of 8 operations, then 2 POSTs of the users whose
	// outcome the answer left open: 10 writes in 3 POST requests.
	if st.Requests[http.MethodPost] != 3 || st.Writes != 10 {
		t.Errorf("Stats: %d POSTs, %d writes, want 3 and 10", st.Requests[http.MethodPost], st.Writes)
	}
}
