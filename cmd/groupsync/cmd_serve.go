package main

import (
	"context"
	"fmt"
)

func (a *app) serve(ctx context.Context, args []string) int {
	fmt.Fprintln(a.stderr, "groupsync serve: the HTTP API arrives with the cloud runtime")
	return exitError
}
