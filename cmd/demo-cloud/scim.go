package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

type scimGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Members     []struct {
		Value string `json:"value"`
	} `json:"members"`
}

// listResponse is a SCIM ListResponse.
type listResponse[T any] struct {
	TotalResults int `json:"totalResults"`
	StartIndex   int `json:"startIndex"`
	Resources    []T `json:"Resources"`
}

// scimClient reads a SCIM 2.0 service as any client would. It reads users
// one by one and counts them through totalResults rather than paging
// through them: the scimmy server pages with startIndex wrongly.
type scimClient struct {
	base, token string
	names       map[string]string // user ID -> userName
}

func (c *scimClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// count returns how many users match filter (every user when empty).
func (c *scimClient) count(ctx context.Context, filter string) (int, error) {
	q := url.Values{"count": {"1"}}
	if filter != "" {
		q.Set("filter", filter)
	}
	var page listResponse[json.RawMessage]
	if err := c.get(ctx, "/Users?"+q.Encode(), &page); err != nil {
		return 0, err
	}
	return page.TotalResults, nil
}

// groups reads every group. A server that does not honour startIndex
// would return the first page again, so that is an error.
func (c *scimClient) groups(ctx context.Context) ([]scimGroup, error) {
	var all []scimGroup
	for start := 1; ; {
		var page listResponse[scimGroup]
		if err := c.get(ctx, fmt.Sprintf("/Groups?startIndex=%d&count=100", start), &page); err != nil {
			return nil, err
		}
		if page.StartIndex != 0 && page.StartIndex != start {
			return nil, fmt.Errorf("GET /Groups: asked for startIndex %d, got %d", start, page.StartIndex)
		}
		all = append(all, page.Resources...)
		start += len(page.Resources)
		if len(page.Resources) == 0 || len(all) >= page.TotalResults {
			slices.SortFunc(all, func(a, b scimGroup) int { return strings.Compare(a.DisplayName, b.DisplayName) })
			return all, nil
		}
	}
}

// members returns the userNames of g's members, sorted.
func (c *scimClient) members(ctx context.Context, g scimGroup) ([]string, error) {
	var out []string
	for _, m := range g.Members {
		name, ok := c.names[m.Value]
		if !ok {
			var u struct {
				UserName string `json:"userName"`
			}
			if err := c.get(ctx, "/Users/"+url.PathEscape(m.Value), &u); err != nil {
				return nil, err
			}
			name = u.UserName
			c.names[m.Value] = name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// target prints the SCIM app's state: a summary with one line per group,
// or with -group that group's members, or with -pick a group and two of
// its members for the demo's directory change.
func target(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("target", flag.ContinueOnError)
	base := fs.String("url", "", "SCIM base URL")
	group := fs.String("group", "", "print this group's members (by displayName, the group's email)")
	pick := fs.Bool("pick", false, `print "GROUP MEMBER1 MEMBER2" for a group with 3 or more members, none of them -avoid`)
	avoid := fs.String("avoid", "admin@example.com", "with -pick: skip groups with this member")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("-url is required")
	}
	c := &scimClient{base: strings.TrimSuffix(*base, "/"), token: os.Getenv("SCIM_TOKEN"), names: map[string]string{}}
	groups, err := c.groups(ctx)
	if err != nil {
		return err
	}
	switch {
	case *pick:
		return pickGroup(ctx, c, groups, *avoid)
	case *group != "":
		return printMembers(ctx, c, groups, *group)
	}
	users, err := c.count(ctx, "")
	if err != nil {
		return err
	}
	inactive, err := c.count(ctx, "active eq false")
	if err != nil {
		return err
	}
	fmt.Printf("SCIM app %s: %d users (%d active, %d inactive), %d groups\n", c.base, users, users-inactive, inactive, len(groups))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  GROUP\tMEMBERS")
	for _, g := range groups {
		fmt.Fprintf(tw, "  %s\t%d\n", g.DisplayName, len(g.Members))
	}
	return tw.Flush()
}

func pickGroup(ctx context.Context, c *scimClient, groups []scimGroup, avoid string) error {
	for _, g := range groups {
		if len(g.Members) < 3 {
			continue
		}
		ms, err := c.members(ctx, g)
		if err != nil {
			return err
		}
		if !slices.Contains(ms, avoid) {
			fmt.Println(g.DisplayName, ms[0], ms[1])
			return nil
		}
	}
	return fmt.Errorf("no group has 3 or more members without %s", avoid)
}

func printMembers(ctx context.Context, c *scimClient, groups []scimGroup, email string) error {
	for _, g := range groups {
		if !strings.EqualFold(g.DisplayName, email) {
			continue
		}
		ms, err := c.members(ctx, g)
		if err != nil {
			return err
		}
		fmt.Printf("%s has %d members in the SCIM app:\n", g.DisplayName, len(ms))
		for _, m := range ms {
			fmt.Println("  " + m)
		}
		return nil
	}
	return fmt.Errorf("no group %s among the SCIM app's %d groups", email, len(groups))
}
