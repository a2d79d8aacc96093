// Command slapdtest runs ldaptest's slapd for `make demo-ldap`: seeded from
// LDIF files, on 127.0.0.1, until it is interrupted. It prints one line,
// "ready URL LDAPS_URL CA_FILE", when slapd listens.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/groupsync/groupsync/internal/source/ldap/ldaptest"
)

func main() {
	dir := flag.String("dir", "", "directory for slapd's config, database and test CA (required)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: slapdtest -dir DIR [SEED.ldif ...]")
		os.Exit(2)
	}
	seeds := [][]byte{[]byte(ldaptest.BaseLDIF)}
	for _, p := range flag.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		seeds = append(seeds, b)
	}
	srv, err := ldaptest.Run(*dir, seeds...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ready %s %s %s\n", srv.URL, srv.LDAPSURL, srv.CAFile)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
}
