package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/groupsync/groupsync/internal/nearest"
)

// mainUsage lists the commands and the global flags.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("usage: groupsync [--config FILE] [-v] COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-26s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	b.WriteString(`
global flags (anywhere on the line):
  --config FILE   the config file (default ./groupsync.yaml, or $GROUPSYNC_CONFIG)
  -v              log debug detail to stderr

Run 'groupsync help COMMAND' for a command's flags.
`)
	return b.String()
}

// usageLine is a command's one-line usage.
func usageLine(name string, fs *flag.FlagSet) string {
	c, _ := lookupCommand(name)
	line := "usage: groupsync " + name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		line += " [flags]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	return line + "\n"
}

// commandHelp prints a command's usage, summary and flags.
func (a *app) commandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	c, _ := lookupCommand(name)
	fmt.Fprint(w, usageLine(name, fs))
	fmt.Fprintf(w, "\n%s\n", c.summary)
	if subs := subcommands(name); len(subs) > 0 {
		fmt.Fprintf(w, "\nsubcommands: %s\n", strings.Join(subs, ", "))
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fmt.Fprintln(w, "\nglobal flags: --config FILE, -v (see 'groupsync help')")
}

// describe runs a command's handler only to learn its flag set: parse
// stops every handler before it does anything.
func (a *app) describe(c command) *flag.FlagSet {
	d := &app{stdout: io.Discard, stderr: io.Discard, describing: true}
	c.run(d, context.Background(), nil)
	if d.described == nil {
		return flag.NewFlagSet("groupsync "+c.name, flag.ContinueOnError)
	}
	return d.described
}

// help prints the main usage, or one command's help, on stdout.
func (a *app) help(ctx context.Context, args []string) int {
	fs := a.flags("help")
	pos, code, ok := a.parse(fs, args, "COMMAND...")
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprint(a.stdout, mainUsage())
		return exitOK
	}
	name := strings.Join(pos, " ")
	c, found := lookupCommand(name)
	if !found {
		return a.unknownCommand(name, "help ")
	}
	a.commandHelp(a.stdout, c.name, a.describe(c))
	return exitOK
}

// unknownCommand reports a command that is not in the table, with the
// closest one as a suggestion.
func (a *app) unknownCommand(name, prefix string) int {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(a.stderr, "groupsync: unknown command %q\n", name)
	if s := suggest(name, names); s != "" {
		fmt.Fprintf(a.stderr, "did you mean 'groupsync %s%s'?\n", prefix, s)
	}
	fmt.Fprintln(a.stderr, "run 'groupsync help' for the commands")
	return exitError
}

// subcommands lists the second words of the commands under name.
func subcommands(name string) []string {
	var out []string
	for _, c := range commands {
		if sub, ok := strings.CutPrefix(c.name, name+" "); ok {
			out = append(out, sub)
		}
	}
	return out
}

func flagNames(fs *flag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f.Name) })
	sort.Strings(out)
	return out
}

// unknownFlag returns the flag name in the flag package's "flag provided
// but not defined: -x" error, or "".
func unknownFlag(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	return strings.TrimLeft(name, "-")
}

// suggest returns the candidate closest to s, if it is close enough to be
// a typo: within a third of its length in edits, or s is its prefix.
func suggest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	for _, c := range candidates {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			return c
		}
	}
	return nearest.Word(s, candidates, len(s)/3+1)
}
