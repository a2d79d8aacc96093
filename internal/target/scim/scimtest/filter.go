package scimtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// clause is one `attr eq "value"` of a filter.
type clause struct {
	attr  string
	value string
}

// parseFilter parses `attr eq "v" [and attr eq "v"]…`, the only filters AWS
// IAM Identity Center accepts, on the attributes in allowed (lower-case).
func parseFilter(f string, allowed map[string]bool) ([]clause, *scimError) {
	var out []clause
	rest := strings.TrimSpace(f)
	for {
		attr, after, ok := strings.Cut(rest, " ")
		if !ok || !allowed[strings.ToLower(attr)] {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "unsupported filter %q", f)
		}
		after = strings.TrimLeft(after, " ")
		op, after, ok := strings.Cut(after, " ")
		if !ok || !strings.EqualFold(op, "eq") {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "only eq is supported in %q", f)
		}
		after = strings.TrimLeft(after, " ")
		v, after, err := unquote(after)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "bad value in %q", f)
		}
		out = append(out, clause{attr: strings.ToLower(attr), value: v})
		after = strings.TrimSpace(after)
		if after == "" {
			return out, nil
		}
		conj, after, ok := strings.Cut(after, " ")
		if !ok || !strings.EqualFold(conj, "and") {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "only and is supported in %q", f)
		}
		rest = strings.TrimSpace(after)
	}
}

// unquote reads a JSON-style string literal from the start of s.
func unquote(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", strconv.ErrSyntax
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", "", strconv.ErrSyntax
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", strconv.ErrSyntax
}

// page reads startIndex and count, clamping count to MaxResults as
// providers do (silently, like Slack).
func (s *Server) page(q url.Values) (start, count int, err *scimError) {
	start, count = 1, s.opts.MaxResults
	if v := q.Get("startIndex"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "bad startIndex %q", v)
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "bad count %q", v)
		}
		count = min(n, s.opts.MaxResults)
	}
	if s.opts.PageSize > 0 {
		count = min(count, s.opts.PageSize)
	}
	return start, count, nil
}

// pageOf returns the page of ids that startIndex start and count ask for,
// so that a listing renders only the resources it returns.
func pageOf(ids []string, start, count int) []string {
	from := min(start-1, len(ids))
	to := min(from+count, len(ids))
	return ids[from:to]
}

// listResponse is a ListResponse of page, one page of total resources.
func listResponse(total, start int, page []any) map[string]any {
	return map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": total,
		"startIndex":   start,
		"itemsPerPage": len(page),
		"Resources":    page,
	}
}
