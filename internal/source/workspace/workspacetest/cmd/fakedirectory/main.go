// Command fakedirectory runs the workspacetest fake of the Google Workspace
// Directory API on 127.0.0.1 for demos: it generates an organisation,
// writes a service-account key whose token_uri points at the fake, and
// serves scripted changes under /_fake/ (see workspacetest.Server).
//
//	go run ./internal/source/workspace/workspacetest/cmd/fakedirectory -port 8089 -users 200 -groups 20 -key ./fake-key.json
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/groupsync/groupsync/internal/source/workspace/workspacetest"
)

func main() {
	port := flag.Int("port", 8089, "port to listen on (127.0.0.1 only)")
	users := flag.Int("users", 200, "number of users to generate")
	groups := flag.Int("groups", 20, "number of groups to generate")
	seed := flag.Uint64("seed", 1, "seed of the generated organisation")
	keyFile := flag.String("key", "fake-key.json", "where to write the service-account key")
	sa := flag.String("service-account", "groupsync@fake-project.iam.gserviceaccount.com", "service-account email in the key")
	qpm := flag.Int("qpm", 2400, "Directory API quota, requests per minute (0: none)")
	flag.Parse()

	if err := run(*port, *users, *groups, *seed, *keyFile, *sa, *qpm); err != nil {
		fmt.Fprintln(os.Stderr, "fakedirectory:", err)
		os.Exit(1)
	}
}

func run(port, users, groups int, seed uint64, keyFile, sa string, qpm int) error {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	opts := []workspacetest.Option{workspacetest.WithListener(l)}
	if qpm > 0 {
		opts = append(opts, workspacetest.WithQuota(qpm, time.Minute))
	}
	org := workspacetest.Generate(seed, users, groups)
	srv := workspacetest.NewServer(org, opts...)
	defer srv.Close()

	if err := os.WriteFile(keyFile, srv.ServiceAccountKey(sa), 0o600); err != nil {
		return fmt.Errorf("writing key: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("fake Directory API ready",
		"endpoint", srv.URL()+"/",
		"token_url", srv.TokenURL(),
		"key", keyFile,
		"admin_subject", org.Users[0].PrimaryEmail,
		"customer", org.CustomerID,
		"domain", org.Domain,
		"users", len(org.Users),
		"groups", len(org.Groups))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
