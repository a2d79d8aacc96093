package workspace

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"

	wsource "github.com/groupsync/groupsync/internal/source/workspace"
	"github.com/groupsync/groupsync/internal/target"
)

// memberCall is one members.insert or members.delete.
type memberCall struct {
	remove bool
	id     string
}

// ModifyMembers removes and adds members through the batch endpoint, at
// most BatchSize calls per request. Each call's answer is read on its own:
// 409 on an insert (already a member) and 404 on a delete (not a member)
// are done; rate limits and server errors are sent again in a later batch
// with backoff; other errors are returned, after every call was tried. A
// group that does not exist wraps target.ErrNotFound.
func (t *Target) ModifyMembers(ctx context.Context, groupID string, add, remove []string) error {
	if groupID == "" {
		return errors.New("workspace: modify members: empty group id")
	}
	calls := make([]memberCall, 0, len(add)+len(remove))
	for _, id := range remove {
		calls = append(calls, memberCall{remove: true, id: id})
	}
	for _, id := range add {
		calls = append(calls, memberCall{id: id})
	}
	var errs []error
	for chunk := range slices.Chunk(calls, t.batch) {
		if err := t.sendMembers(ctx, groupID, chunk); err != nil {
			if errors.Is(err, target.ErrNotFound) || ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sendMembers sends one batch, and again its calls that may succeed later.
func (t *Target) sendMembers(ctx context.Context, groupID string, calls []memberCall) error {
	var failed []error
	for attempt := 1; len(calls) > 0; attempt++ {
		answers, tickets, err := t.batchCall(ctx, groupID, calls)
		if err != nil {
			return fmt.Errorf("workspace: group %s: batch of %d member changes: %w", groupID, len(calls), err)
		}
		t.reportQuota(answers, tickets)
		var again []memberCall
		for i, c := range calls {
			switch err := answers[i]; {
			case err == nil:
			case c.remove && isAbsentMember(err), !c.remove && statusOf(err) == http.StatusConflict:
				// Not a member / already a member: the change is there.
			case statusOf(err) == http.StatusNotFound && strings.Contains(err.Error(), "groupKey"):
				return fmt.Errorf("workspace: group %s: %w: %w", groupID, target.ErrNotFound, err)
			case retryable(err) && attempt < t.attempts:
				again = append(again, c)
			default:
				verb := "add"
				if c.remove {
					verb = "remove"
				}
				failed = append(failed, fmt.Errorf("workspace: group %s: %s member %s: %w", groupID, verb, c.id, err))
			}
		}
		calls = again
		if len(calls) > 0 {
			if err := t.sleep(ctx, attempt); err != nil {
				return err
			}
		}
	}
	return errors.Join(failed...)
}

// isAbsentMember tells "not a member" from "no such group" in a delete's
// 404.
func isAbsentMember(err error) bool {
	return statusOf(err) == http.StatusNotFound && !strings.Contains(err.Error(), "groupKey")
}

// reportQuota tells the shared pacer how the calls that had their own
// slot fared (the first call's slot is the request's, which the transport
// reports): a call refused for quota slows every user of the quota down.
func (t *Target) reportQuota(answers []error, tickets []wsource.Ticket) {
	for i, tk := range tickets {
		if err := answers[i+1]; err != nil && retryable(err) && statusOf(err) < 500 {
			t.pacer.Throttled(tk, 0)
		} else {
			t.pacer.Accepted(tk)
		}
	}
}

// retryable reports the per-call failures that clear by themselves: 429,
// 5xx and 403 rate limits.
func retryable(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	if ge.Code == http.StatusTooManyRequests || ge.Code >= 500 {
		return true
	}
	if ge.Code == http.StatusForbidden {
		for _, x := range ge.Errors {
			if x.Reason == "rateLimitExceeded" || x.Reason == "userRateLimitExceeded" || x.Reason == "quotaExceeded" {
				return true
			}
		}
	}
	return false
}

// sleep waits min(max, min·2^(attempt-1)), jittered, as the source's
// retries do.
func (t *Target) sleep(ctx context.Context, attempt int) error {
	d := t.minBackoff << min(attempt-1, 20)
	if d <= 0 || d > t.maxBackoff {
		d = t.maxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// batchCall sends calls as one batch request and returns each call's
// error (nil for a 2xx), in order, with the pacer tickets of calls 1..n-1:
// every call spends quota, so the pacer is asked for one slot per call
// beyond the one the request itself takes.
func (t *Target) batchCall(ctx context.Context, groupID string, calls []memberCall) ([]error, []wsource.Ticket, error) {
	tickets := make([]wsource.Ticket, 0, len(calls)-1)
	for range len(calls) - 1 {
		tk, err := t.pacer.Wait(ctx)
		if err != nil {
			return nil, nil, err
		}
		tickets = append(tickets, tk)
	}
	answers, err := t.send(ctx, groupID, calls)
	if err != nil {
		for _, tk := range tickets {
			t.pacer.Accepted(tk)
		}
		return nil, nil, err
	}
	return answers, tickets, nil
}

// send posts one batch request.
func (t *Target) send(ctx context.Context, groupID string, calls []memberCall) ([]error, error) {
	body, contentType, err := batchBody(groupID, calls)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.batchURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := googleapi.CheckResponse(resp); err != nil {
		return nil, err
	}
	return readBatch(resp, len(calls))
}

// batchBody writes Google's batch format: one application/http part per
// call, with Content-ID item-N.
func batchBody(groupID string, calls []memberCall) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	base := "/admin/directory/v1/groups/" + url.PathEscape(groupID) + "/members"
	for i, c := range calls {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type": {"application/http"},
			"Content-ID":   {"<item-" + strconv.Itoa(i) + ">"},
		})
		if err != nil {
			return nil, "", err
		}
		if c.remove {
			fmt.Fprintf(pw, "DELETE %s/%s HTTP/1.1\r\n\r\n", base, url.PathEscape(c.id))
			continue
		}
		member, err := json.Marshal(map[string]string{"id": c.id, "role": "MEMBER"})
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(pw, "POST %s HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", base, len(member), member)
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "multipart/mixed; boundary=" + mw.Boundary(), nil
}

// readBatch reads a batch response: one HTTP response per call, matched by
// Content-ID (response-item-N). A call with no answer is an error.
func readBatch(resp *http.Response, n int) ([]error, error) {
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil, fmt.Errorf("batch response is %q, not multipart", resp.Header.Get("Content-Type"))
	}
	errs := make([]error, n)
	seen := make([]bool, n)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("batch response: %w", err)
		}
		idx := i
		if id := strings.Trim(p.Header.Get("Content-ID"), "<>"); id != "" {
			if k, err := strconv.Atoi(strings.TrimPrefix(id, "response-item-")); err == nil {
				idx = k
			}
		}
		if idx < 0 || idx >= n {
			return nil, fmt.Errorf("batch response: unexpected part %q", p.Header.Get("Content-ID"))
		}
		inner, err := http.ReadResponse(bufio.NewReader(p), nil)
		if err != nil {
			return nil, fmt.Errorf("batch response part %d: %w", idx, err)
		}
		errs[idx] = googleapi.CheckResponse(inner)
		io.Copy(io.Discard, inner.Body)
		inner.Body.Close()
		seen[idx] = true
	}
	for i, ok := range seen {
		if !ok {
			errs[i] = &googleapi.Error{Code: http.StatusServiceUnavailable, Message: "no answer in the batch response"}
		}
	}
	return errs, nil
}
