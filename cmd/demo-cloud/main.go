// Command demo-cloud does the Pub/Sub and SCIM chores of `make demo-cloud`
// (scripts/demo-cloud.sh): it wires the Pub/Sub emulator as Terraform wires
// Pub/Sub and Eventarc in the cloud, publishes as Cloud Scheduler does, and
// reads what reached the SCIM app.
//
//	demo-cloud setup   -dispatch URL -sync-group URL
//	demo-cloud publish -topic groupsync-runs [-data '{}']
//	demo-cloud changes [-idle 2s]
//	demo-cloud target  -url SCIM_URL [-group EMAIL] [-pick]
//
// The Pub/Sub commands talk only to the emulator: they refuse to run
// without PUBSUB_EMULATOR_HOST, so the demo cannot reach a real project.
// The project is GOOGLE_CLOUD_PROJECT. The SCIM bearer token is SCIM_TOKEN.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  demo-cloud setup   -dispatch URL -sync-group URL   create the topics and subscriptions
  demo-cloud publish -topic T [-data JSON]          publish one message, print its ID
  demo-cloud changes [-idle D]                      print the change events published since the last call
  demo-cloud target  -url SCIM_URL [-group EMAIL] [-pick]
                                                    print the SCIM app's users and groups`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := map[string]func(context.Context, []string) error{
		"setup":   setup,
		"publish": publish,
		"changes": changes,
		"target":  target,
	}
	cmd, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "demo-cloud: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	if err := cmd(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "demo-cloud %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
