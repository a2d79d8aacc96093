package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
)

// maxBulkOperations caps the operations of one Bulk request whatever the
// server advertises: a larger request is one long transaction on the
// server and one long wait for its answer.
const maxBulkOperations = 1000

const schemaBulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

// bulkRequest is a BulkRequest message (RFC 7644 §3.7). failOnErrors is
// left out, so that one failed operation does not stop the others.
type bulkRequest struct {
	Schemas    []string          `json:"schemas"`
	Operations []json.RawMessage `json:"Operations"`
}

type bulkOperation struct {
	Method string `json:"method"`
	BulkID string `json:"bulkId"`
	Path   string `json:"path"`
	Data   any    `json:"data"`
}

type bulkResponse struct {
	Operations []bulkResult `json:"Operations"`
}

// bulkResult is one operation's answer. Servers send status as a string
// ("201", as RFC 7644 shows it), a number or, after an early draft,
// {"code": 201}; the new resource's id is in response, when the server
// sends the resource back, or at the end of location.
type bulkResult struct {
	BulkID   string          `json:"bulkId"`
	Location string          `json:"location"`
	Status   bulkStatus      `json:"status"`
	Response json.RawMessage `json:"response"`
}

type bulkStatus int

func (s *bulkStatus) UnmarshalJSON(p []byte) error {
	var obj struct {
		Code json.RawMessage `json:"code"`
	}
	if json.Unmarshal(p, &obj) == nil && obj.Code != nil {
		p = obj.Code
	}
	v := strings.TrimSpace(strings.Trim(string(p), `"`))
	if len(v) > 3 {
		v = v[:3] // "201 Created"
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		n = 0
	}
	*s = bulkStatus(n)
	return nil
}

// id is the created resource's id, or "".
func (r bulkResult) id() string {
	var got struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(r.Response, &got) == nil && got.ID != "" {
		return got.ID
	}
	u, err := url.Parse(strings.TrimSpace(r.Location))
	if err != nil {
		return ""
	}
	id := path.Base(strings.TrimRight(u.Path, "/"))
	if id == "." || id == "/" {
		return ""
	}
	if v, err := url.PathUnescape(id); err == nil {
		id = v
	}
	return id
}

// bulkUser is one user of CreateUsers that needs a POST.
type bulkUser struct {
	i    int
	u    model.User
	opts target.CreateOptions
	key  string // userName
	body any
	// op is the encoded Bulk operation, its bulkId the input index.
	op     json.RawMessage
	bulkID string
}

// CreateUsers creates users, with for each exactly what CreateUser would
// do for it (validation, the lookup first, taking over, adopting or
// refusing what it finds, resolving a 409 by looking up again), and
// returns one result per user, in input order.
//
// Where the server advertises Bulk (RFC 7644 §3.7), it looks every user
// up first, then sends those that need a POST in POST /Bulk requests of
// at most maxOperations (and at most 1,000) operations, each body within
// maxPayloadSize when the server advertises one. A Bulk request counts as
// one request in Stats and each of its operations as a write. A server
// that refuses /Bulk (404, 405, 501, or 400 saying Bulk is unsupported)
// gets the batch's users one POST each, and no Bulk again from this
// Target until Check reads its configuration afresh.
//
// Without Bulk it calls CreateUser for each user in turn. Either way the
// work is done on the caller's goroutine: the client has no concurrency of
// its own, so a caller that wants creates in parallel calls CreateUsers
// with a share of the users from each of its workers.
func (t *Target) CreateUsers(ctx context.Context, users []target.UserCreate) []target.CreateResult {
	out := make([]target.CreateResult, len(users))
	caps, err := t.capabilities(ctx)
	if err != nil || !caps.bulk {
		for i, uc := range users {
			out[i] = result(t.CreateUser(ctx, uc.User, uc.Opts))
		}
		return out
	}
	var pending []bulkUser
	for i, uc := range users {
		b, res, post := t.prepareCreate(ctx, i, uc)
		if !post {
			out[i] = res
			continue
		}
		pending = append(pending, b)
	}
	batches, alone := bulkBatches(pending, min(caps.bulkMaxOperations, maxBulkOperations), caps.bulkMaxPayload)
	for _, b := range alone {
		out[b.i] = t.postOne(ctx, b)
	}
	for _, batch := range batches {
		t.createBatch(ctx, batch, out)
	}
	return out
}

// BatchesCreates reports whether CreateUsers sends creates in batches:
// the server advertises Bulk and has not refused it. When it does not,
// the engine spreads single creates over its workers instead.
func (t *Target) BatchesCreates(ctx context.Context) bool {
	caps, err := t.capabilities(ctx)
	return err == nil && caps.bulk
}

func result(c target.Created, err error) target.CreateResult {
	return target.CreateResult{Created: c, Err: err}
}

// prepareCreate does what CreateUser does before its POST. post is false
// when the user needs none: res is then its result.
func (t *Target) prepareCreate(ctx context.Context, i int, uc target.UserCreate) (b bulkUser, res target.CreateResult, post bool) {
	u := uc.User
	if err := validUser(u); err != nil {
		return bulkUser{}, result(target.Created{}, err), false
	}
	key := userName(u)
	lookup := func(ctx context.Context) (found, error) { return t.lookupUser(ctx, u) }
	existing, err := t.firstLookup(&t.users, userIndex, key, u.ID, lookup)(ctx)
	if err != nil {
		return bulkUser{}, result(target.Created{}, fmt.Errorf("scim: look up user %s: %w", key, err)), false
	}
	if existing.id != "" {
		return bulkUser{}, t.remembered(u, key)(adopt("user", key, existing, uc.Opts)), false
	}
	b = bulkUser{i: i, u: u, opts: uc.Opts, key: key, body: t.userBody(ctx, u, uc.Opts.Active), bulkID: strconv.Itoa(i)}
	b.op, err = json.Marshal(bulkOperation{Method: http.MethodPost, BulkID: b.bulkID, Path: "/Users", Data: b.body})
	if err != nil {
		return bulkUser{}, result(target.Created{}, fmt.Errorf("scim: encode POST /Users: %w", err)), false
	}
	return b, target.CreateResult{}, true
}

// remembered returns a function that records a successful create of u in
// the job's index, as CreateUser does, and makes it a result.
func (t *Target) remembered(u model.User, key string) func(target.Created, error) target.CreateResult {
	return func(c target.Created, err error) target.CreateResult {
		if err == nil {
			t.users.remember(c.ID, key, u.ID)
		}
		return result(c, err)
	}
}

// bulkBatches cuts users into Bulk requests of at most maxOps operations
// and, when maxBytes > 0, bodies of at most maxBytes. A user whose
// operation alone is too large is returned in alone, for a POST of its
// own.
func bulkBatches(users []bulkUser, maxOps, maxBytes int) (batches [][]bulkUser, alone []bulkUser) {
	maxOps = max(maxOps, 1)
	envelope, _ := json.Marshal(bulkRequest{Schemas: []string{schemaBulkRequest}, Operations: []json.RawMessage{}})
	var cur []bulkUser
	size := len(envelope)
	for _, b := range users {
		if maxBytes > 0 && len(envelope)+len(b.op) > maxBytes {
			alone = append(alone, b)
			continue
		}
		grown := size + len(b.op)
		if len(cur) > 0 {
			grown++ // the comma
		}
		if len(cur) == maxOps || maxBytes > 0 && grown > maxBytes {
			batches = append(batches, cur)
			cur, grown = nil, len(envelope)+len(b.op)
		}
		cur, size = append(cur, b), grown
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, alone
}

// createBatch sends one Bulk request and puts each user's result in out.
func (t *Target) createBatch(ctx context.Context, batch []bulkUser, out []target.CreateResult) {
	if !t.bulkUsable(ctx) {
		for _, b := range batch {
			out[b.i] = t.postOne(ctx, b)
		}
		return
	}
	req := bulkRequest{Schemas: []string{schemaBulkRequest}, Operations: make([]json.RawMessage, len(batch))}
	for i, b := range batch {
		req.Operations[i] = b.op
	}
	resp, err := t.do(ctx, request{method: http.MethodPost, path: "/Bulk", body: req})
	switch {
	case statusOf(err) == http.StatusRequestEntityTooLarge && len(batch) > 1:
		// The server's limits are below what it advertised.
		t.logger.WarnContext(ctx, "Bulk request too large; splitting it", "operations", len(batch))
		t.createBatch(ctx, batch[:len(batch)/2], out)
		t.createBatch(ctx, batch[len(batch)/2:], out)
		return
	case statusOf(err) == http.StatusRequestEntityTooLarge:
		out[batch[0].i] = t.postOne(ctx, batch[0])
		return
	case bulkRefused(err):
		t.logger.WarnContext(ctx, "Bulk refused though advertised; creating users one by one", "err", err.Error())
		t.mu.Lock()
		if t.caps != nil {
			t.caps.bulk = false
		}
		t.mu.Unlock()
		for _, b := range batch {
			out[b.i] = t.postOne(ctx, b)
		}
		return
	case err != nil:
		for _, b := range batch {
			out[b.i].Err = fmt.Errorf("scim: create user %s: %w", b.key, err)
		}
		return
	}
	t.countWrites(len(batch) - 1)
	var br bulkResponse
	if err := decode(resp, &br); err != nil {
		// The operations may or may not have been applied: look each
		// user up again before creating it.
		t.logger.WarnContext(ctx, "unreadable Bulk response; creating its users one by one", "err", err.Error())
		br = bulkResponse{}
	}
	results := make(map[string]bulkResult, len(br.Operations))
	for _, r := range br.Operations {
		results[r.BulkID] = r
	}
	for _, b := range batch {
		r, ok := results[b.bulkID]
		if !ok {
			out[b.i] = result(t.CreateUser(ctx, b.u, b.opts))
			continue
		}
		out[b.i] = t.bulkOutcome(ctx, b, r)
	}
}

// bulkOutcome turns one operation's answer into the result CreateUser
// would have returned for the same answer to its POST.
func (t *Target) bulkOutcome(ctx context.Context, b bulkUser, r bulkResult) target.CreateResult {
	s := int(r.Status)
	switch {
	case s == http.StatusCreated || s == http.StatusOK:
		id := r.id()
		if id == "" {
			return result(target.Created{}, fmt.Errorf("scim: create user %s: response has no id", b.key))
		}
		return t.remembered(b.u, b.key)(target.Created{ID: id}, nil)
	case s == http.StatusTooManyRequests || s >= 500 || s < 200:
		// CreateUser retries these; it looks the user up first, as the
		// operation may have been applied.
		return result(t.CreateUser(ctx, b.u, b.opts))
	}
	err := parseError(http.MethodPost, "/Users", s, r.Response, t.token)
	if s == http.StatusConflict {
		lookup := func(ctx context.Context) (found, error) { return t.lookupUser(ctx, b.u) }
		return t.remembered(b.u, b.key)(t.resolveConflict(ctx, "user", b.key, err, lookup, b.opts))
	}
	return result(target.Created{}, fmt.Errorf("scim: create user %s: %w", b.key, err))
}

// resolveConflict is what create does with a 409: look the object up on
// the server, and adopt or refuse what it finds.
func (t *Target) resolveConflict(ctx context.Context, kind, key string, err error, lookup func(context.Context) (found, error), opts target.CreateOptions) (target.Created, error) {
	existing, lerr := lookup(ctx)
	switch {
	case lerr != nil:
		return target.Created{}, fmt.Errorf("scim: create %s %s: %w; look up after conflict: %w", kind, key, err, lerr)
	case existing.id == "":
		return target.Created{}, fmt.Errorf("scim: create %s %s: the server reports it exists but none matches its name or externalId: %w: %w", kind, key, target.ErrConflict, err)
	}
	return adopt(kind, key, existing, opts)
}

// postOne creates one user of CreateUsers with its own POST /Users; its
// lookup was done already.
func (t *Target) postOne(ctx context.Context, b bulkUser) target.CreateResult {
	none := func(context.Context) (found, error) { return found{}, nil }
	lookup := func(ctx context.Context) (found, error) { return t.lookupUser(ctx, b.u) }
	return t.remembered(b.u, b.key)(t.create(ctx, "user", b.key, "/Users", b.body, none, lookup, b.opts))
}

// bulkUsable reports whether the server advertises Bulk and has not
// refused it.
func (t *Target) bulkUsable(ctx context.Context) bool {
	caps, err := t.capabilities(ctx)
	return err == nil && caps.bulk
}

// bulkRefused reports whether a failed POST /Bulk says the server has no
// usable Bulk, as opposed to a failure of this request.
func bulkRefused(err error) bool {
	var se *Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	case http.StatusBadRequest:
		d := strings.ToLower(se.Detail)
		if !strings.Contains(d, "bulk") {
			return false
		}
		for _, w := range []string{"support", "implement", "enabled", "disabled", "allowed"} {
			if strings.Contains(d, w) {
				return true
			}
		}
	}
	return false
}

// countWrites adds n writes to Stats: the operations of a Bulk request
// beyond the one write its request counted.
func (t *Target) countWrites(n int) {
	if n <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Writes += n
}
