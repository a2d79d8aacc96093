// Package chaos runs randomised syncs under injected faults and checks the
// safety invariants after every run. Its only code is its test: `make
// chaos` runs it long, `make test` runs a short, fixed-seed version.
//
// Each round changes the directory a little, injects faults of every kind
// (Directory API 5xx, 429 with and without Retry-After, failed member
// pages; SCIM 5xx and 429; duplicate, out-of-order and killed step
// deliveries) and runs one sync on one of the two runners: the in-process
// queue (engine.Run) or the message-driven entry point the cloud uses
// (engine.Handle), fed by a queue that redelivers, reorders and kills.
// After the run it checks that no member the source still has was removed,
// no user exists twice, nothing groupsync does not own was touched, and no
// limit was exceeded without approval; then, with the faults cleared, that
// the sync converges within two clean runs.
package chaos
