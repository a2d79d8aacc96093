package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

type scimUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   *bool  `json:"active"`
}

type scimGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Members     []struct {
		Value string `json:"value"`
	} `json:"members"`
}

// scimClient reads a SCIM 2.0 service as any client would.
type scimClient struct {
	base, token string
}

// list reads every page of a resource type. Servers cap the page size,
// so it follows startIndex until totalResults are read.
func list[T any](ctx context.Context, c scimClient, resource string) ([]T, error) {
	var all []T
	for start := 1; ; {
		u := fmt.Sprintf("%s/%s?startIndex=%d&count=100", c.base, resource, start)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			TotalResults int `json:"totalResults"`
			Resources    []T `json:"Resources"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		all = append(all, page.Resources...)
		start += len(page.Resources)
		if len(page.Resources) == 0 || len(all) >= page.TotalResults {
			return all, nil
		}
	}
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
	c := scimClient{base: strings.TrimSuffix(*base, "/"), token: os.Getenv("SCIM_TOKEN")}
	users, err := list[scimUser](ctx, c, "Users")
	if err != nil {
		return err
	}
	groups, err := list[scimGroup](ctx, c, "Groups")
	if err != nil {
		return err
	}
	slices.SortFunc(groups, func(a, b scimGroup) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.UserName
	}
	switch {
	case *pick:
		return pickGroup(groups, names, *avoid)
	case *group != "":
		return printMembers(groups, names, *group)
	}
	active := 0
	for _, u := range users {
		if u.Active == nil || *u.Active {
			active++
		}
	}
	fmt.Printf("SCIM app %s: %d users (%d active, %d inactive), %d groups\n", c.base, len(users), active, len(users)-active, len(groups))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  GROUP\tMEMBERS")
	for _, g := range groups {
		fmt.Fprintf(tw, "  %s\t%d\n", g.DisplayName, len(g.Members))
	}
	return tw.Flush()
}

func memberNames(g scimGroup, names map[string]string) []string {
	var out []string
	for _, m := range g.Members {
		out = append(out, cmp.Or(names[m.Value], m.Value))
	}
	slices.Sort(out)
	return out
}

func pickGroup(groups []scimGroup, names map[string]string, avoid string) error {
	for _, g := range groups {
		ms := memberNames(g, names)
		if len(ms) >= 3 && !slices.Contains(ms, avoid) {
			fmt.Println(g.DisplayName, ms[0], ms[1])
			return nil
		}
	}
	return fmt.Errorf("no group has 3 or more members without %s", avoid)
}

func printMembers(groups []scimGroup, names map[string]string, email string) error {
	for _, g := range groups {
		if strings.EqualFold(g.DisplayName, email) {
			ms := memberNames(g, names)
			fmt.Printf("%s has %d members in the SCIM app:\n", g.DisplayName, len(ms))
			for _, m := range ms {
				fmt.Println("  " + m)
			}
			return nil
		}
	}
	return fmt.Errorf("no group %s among the SCIM app's %d groups", email, len(groups))
}
