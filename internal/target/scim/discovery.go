package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// defaultPageSize is used when the provider advertises no maxResults; 100
// is what AWS, Atlassian and Keycloak accept.
const defaultPageSize = 100

// capabilities is what the provider's ServiceProviderConfig says it does.
type capabilities struct {
	patch      bool
	bulk       bool
	etag       bool
	filter     bool
	maxResults int
	// bulkMaxOperations and bulkMaxPayload are the advertised Bulk
	// limits; bulk is only set with a positive bulkMaxOperations.
	// bulkMaxPayload is 0 when the server advertises none.
	bulkMaxOperations int
	bulkMaxPayload    int
}

type supported struct {
	Supported flexBool `json:"supported"`
}

type serviceProviderConfig struct {
	Patch supported `json:"patch"`
	Bulk  struct {
		Supported      flexBool `json:"supported"`
		MaxOperations  flexInt  `json:"maxOperations"`
		MaxPayloadSize flexInt  `json:"maxPayloadSize"`
	} `json:"bulk"`
	ETag   supported `json:"etag"`
	Filter struct {
		Supported  flexBool `json:"supported"`
		MaxResults flexInt  `json:"maxResults"`
	} `json:"filter"`
}

// flexInt decodes a number that may be sent as a string.
type flexInt int

func (n *flexInt) UnmarshalJSON(p []byte) error {
	v, err := strconv.Atoi(strings.Trim(string(p), `"`))
	if err != nil {
		*n = 0
		return nil
	}
	*n = flexInt(v)
	return nil
}

// capabilities returns the provider's capabilities, reading them once.
func (t *Target) capabilities(ctx context.Context) (capabilities, error) {
	t.mu.Lock()
	c := t.caps
	t.mu.Unlock()
	if c != nil {
		return *c, nil
	}
	// One discovery at a time: a sync's first requests arrive together.
	t.discoverMu.Lock()
	defer t.discoverMu.Unlock()
	t.mu.Lock()
	c = t.caps
	t.mu.Unlock()
	if c != nil {
		return *c, nil
	}
	got, err := t.discover(ctx)
	if err != nil {
		return capabilities{}, err
	}
	t.mu.Lock()
	t.caps = &got
	t.mu.Unlock()
	return got, nil
}

func (t *Target) discover(ctx context.Context) (capabilities, error) {
	resp, err := t.do(ctx, request{method: http.MethodGet, path: "/ServiceProviderConfig"})
	if s := statusOf(err); s == http.StatusNotFound || s == http.StatusNotImplemented {
		// Some providers (older Slack, many in-house servers) have no
		// ServiceProviderConfig; assume the common ground.
		c := capabilities{patch: true, filter: true, maxResults: defaultPageSize}
		t.logger.WarnContext(ctx, "no ServiceProviderConfig; assuming PATCH and filter support", "status", s)
		return c, nil
	}
	if err != nil {
		return capabilities{}, fmt.Errorf("read ServiceProviderConfig: %w", err)
	}
	var spc serviceProviderConfig
	if err := decode(resp, &spc); err != nil {
		return capabilities{}, fmt.Errorf("read ServiceProviderConfig: %w", err)
	}
	c := capabilities{
		patch:      bool(spc.Patch.Supported),
		bulk:       bool(spc.Bulk.Supported),
		etag:       bool(spc.ETag.Supported),
		filter:     bool(spc.Filter.Supported),
		maxResults: int(spc.Filter.MaxResults),

		bulkMaxOperations: int(spc.Bulk.MaxOperations),
		bulkMaxPayload:    max(int(spc.Bulk.MaxPayloadSize), 0),
	}
	if c.bulkMaxOperations <= 0 {
		// Bulk that takes no operation is no Bulk (RFC 7643 §5 makes
		// maxOperations required).
		c.bulk, c.bulkMaxOperations = false, 0
	}
	switch {
	case c.maxResults <= 0:
		c.maxResults = defaultPageSize
	case c.maxResults > 1000:
		// Slack caps count at 1,000 whatever it advertises.
		c.maxResults = 1000
	}
	if !c.filter {
		// Lookups before create need eq filters; providers that say
		// otherwise usually still serve them, so try and report failures.
		t.logger.WarnContext(ctx, "ServiceProviderConfig says filter is unsupported; lookups may fail")
	}
	t.logger.DebugContext(ctx, "scim capabilities", "patch", c.patch, "bulk", c.bulk, "bulkMaxOperations", c.bulkMaxOperations, "bulkMaxPayload", c.bulkMaxPayload, "etag", c.etag, "filter", c.filter, "maxResults", c.maxResults)
	return c, nil
}

// Check reaches the ServiceProviderConfig and reads one user with the
// token, and reports clearly when the target is unreachable or refuses the
// token. The user read matters: RFC 7644 lets discovery endpoints skip
// authentication.
func (t *Target) Check(ctx context.Context) error {
	_, err := t.do(ctx, request{method: http.MethodGet, path: "/ServiceProviderConfig"})
	if err != nil && statusOf(err) != http.StatusNotFound {
		return t.checkError(err)
	}
	q := url.Values{"startIndex": {"1"}, "count": {"1"}}
	if _, err := t.do(ctx, request{method: http.MethodGet, path: "/Users", query: q}); err != nil {
		return t.checkError(err)
	}
	t.mu.Lock()
	t.caps = nil // read afresh on next use
	t.mu.Unlock()
	if _, err := t.capabilities(ctx); err != nil {
		return t.checkError(err)
	}
	return nil
}

func (t *Target) checkError(err error) error {
	switch s := statusOf(err); {
	case s == http.StatusUnauthorized:
		return fmt.Errorf("scim target %s refused the token (401 Unauthorized): check the token", t.base.Redacted())
	case s == http.StatusForbidden:
		return fmt.Errorf("scim target %s: the token lacks permission (403 Forbidden)", t.base.Redacted())
	case s != 0:
		return fmt.Errorf("scim target %s: %w", t.base.Redacted(), err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !errorsAsURL(err):
		return err
	default:
		return fmt.Errorf("scim target %s is unreachable: %w", t.base.Redacted(), err)
	}
}
