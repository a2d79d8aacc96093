// Command functions-local serves groupsync's Cloud Functions (Dispatch,
// SyncGroup, Sync) on 127.0.0.1 with the Functions Framework, linking the
// module's root package exactly as the Cloud Functions Go buildpack's
// generated main does. `make demo-cloud` runs one process per function.
//
//	FUNCTION_TARGET=Dispatch functions-local -port 8085
//
// With a target (-target or FUNCTION_TARGET) the function answers every
// path, as in Cloud Functions, so a Pub/Sub push endpoint can carry
// projects/P/topics/T: the framework takes the topic from the request path
// when it turns the emulator's legacy push body into a CloudEvent. Without
// a target every function is served at /<Name> only, a path with no topic
// in it, which suits HTTP functions but not push subscriptions.
//
// The functions read their configuration from the environment (see
// package functions): GROUPSYNC_CONFIG_YAML, GOOGLE_CLOUD_PROJECT,
// GROUPSYNC_AUDIENCE, GROUPSYNC_ALLOWED_CALLERS and the emulator hosts.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	_ "github.com/groupsync/groupsync"
)

func main() {
	port := flag.String("port", envOr("PORT", "8080"), "port to listen on, on 127.0.0.1")
	target := flag.String("target", os.Getenv("FUNCTION_TARGET"), "the function to serve at every path (Dispatch, SyncGroup or Sync); empty serves each at /<Name>")
	flag.Parse()

	// The framework reads the target from the environment only.
	if err := os.Setenv("FUNCTION_TARGET", *target); err != nil {
		fmt.Fprintln(os.Stderr, "functions-local:", err)
		os.Exit(1)
	}
	if err := funcframework.StartHostPort("127.0.0.1", *port); err != nil {
		fmt.Fprintln(os.Stderr, "functions-local:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
