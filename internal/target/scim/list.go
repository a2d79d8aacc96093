package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// maxPages bounds a listing so that a server that ignores startIndex cannot
// keep the client reading the same page forever.
const maxPages = 10000

// list reads every resource under path (e.g. "/Users") that matches filter,
// page by page, clamping count to the provider's maxResults and reading to
// the end by startIndex, or by cursor where the provider pages that way.
func (t *Target) list(ctx context.Context, path, filter string, extra url.Values, fn func(json.RawMessage) error) error {
	return t.listPages(ctx, path, filter, extra, nil, fn)
}

// listPages is list with onPage called before each page's resources with
// the page's totalResults (-1 when the server sends none); an error from
// it ends the listing.
func (t *Target) listPages(ctx context.Context, path, filter string, extra url.Values, onPage func(total int) error, fn func(json.RawMessage) error) error {
	caps, err := t.capabilities(ctx)
	if err != nil {
		return err
	}
	count := caps.maxResults
	start, cursor := 1, ""
	read := 0
	seen := make(map[string]bool)
	for page := 0; page < maxPages; page++ {
		q := url.Values{}
		for k, v := range extra {
			q[k] = v
		}
		if filter != "" {
			q.Set("filter", filter)
		}
		q.Set("count", strconv.Itoa(count))
		if cursor != "" {
			q.Set("cursor", cursor)
		} else {
			q.Set("startIndex", strconv.Itoa(start))
		}
		resp, err := t.do(ctx, request{method: http.MethodGet, path: path, query: q})
		if err != nil {
			// Some servers (Keycloak plugins) answer a filter that matches
			// nothing with 400 noTarget or 404 instead of an empty list.
			if page == 0 && filter != "" && (scimTypeOf(err) == scimNoTarget || statusOf(err) == http.StatusNotFound) {
				return nil
			}
			return err
		}
		var lr listResponse
		if err := decode(resp, &lr); err != nil {
			return err
		}
		if onPage != nil {
			total := -1
			if lr.TotalResults != nil {
				total = *lr.TotalResults
			}
			if err := onPage(total); err != nil {
				return err
			}
		}
		fresh := 0
		for _, r := range lr.Resources {
			var id struct {
				ID string `json:"id"`
			}
			json.Unmarshal(r, &id)
			// A resource without an id is known by its whole body, so
			// that a server repeating such a page is caught too.
			key := id.ID
			if key == "" {
				key = "body:" + string(r)
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			fresh++
			if err := fn(r); err != nil {
				return err
			}
		}
		read += len(lr.Resources)
		switch {
		case len(lr.Resources) > 0 && fresh == 0:
			// The server ignores startIndex and sent a page again.
			return fmt.Errorf("scim: listing %s: the server repeats page %d; it may ignore startIndex", path, page+1)
		case lr.NextCursor != "":
			cursor = lr.NextCursor
		case cursor != "":
			return nil // last page of a cursor listing
		case len(lr.Resources) == 0:
			return nil
		case lr.TotalResults != nil && read >= *lr.TotalResults:
			return nil
		default:
			// Step by what the server returned: it may have clamped count
			// below what it advertised. Without totalResults, read on
			// until an empty page.
			start += len(lr.Resources)
		}
	}
	return fmt.Errorf("scim: listing %s did not end after %d pages", path, maxPages)
}

// findUsers lists the users matching filter.
func (t *Target) findUsers(ctx context.Context, filter string) ([]user, error) {
	var out []user
	err := t.list(ctx, "/Users", filter, nil, func(raw json.RawMessage) error {
		var u user
		if err := json.Unmarshal(raw, &u); err != nil {
			return fmt.Errorf("scim: decode user: %w", err)
		}
		out = append(out, u)
		return nil
	})
	return out, err
}

// findGroups lists the groups matching filter, without their members.
func (t *Target) findGroups(ctx context.Context, filter string) ([]group, error) {
	var out []group
	extra := url.Values{"excludedAttributes": {"members"}}
	err := t.list(ctx, "/Groups", filter, extra, func(raw json.RawMessage) error {
		var g group
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("scim: decode group: %w", err)
		}
		out = append(out, g)
		return nil
	})
	return out, err
}
