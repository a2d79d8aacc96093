package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// completion prints a completion script for bash, zsh or fish, made from
// the command table and each command's own flag set, so it cannot drift
// from what the commands accept.
func (a *app) completion(ctx context.Context, args []string) int {
	fs := a.flags("completion")
	pos, code, ok := a.parse(fs, args, "SHELL")
	if !ok {
		return code
	}
	specs := a.completionSpecs()
	switch pos[0] {
	case "bash":
		writeBash(a.stdout, specs)
	case "zsh":
		writeZsh(a.stdout, specs)
	case "fish":
		writeFish(a.stdout, specs)
	default:
		fmt.Fprintf(a.stderr, "groupsync completion: unknown shell %q (bash, zsh or fish)\n", pos[0])
		return exitError
	}
	return exitOK
}

// completionSpec is one command's words for completion.
type completionSpec struct {
	name, summary string
	flags         []*flag.Flag
	subs          []string
}

func (a *app) completionSpecs() []completionSpec {
	var out []completionSpec
	for _, c := range commands {
		s := completionSpec{name: c.name, summary: c.summary, subs: subcommands(c.name)}
		a.describe(c).VisitAll(func(f *flag.Flag) { s.flags = append(s.flags, f) })
		out = append(out, s)
	}
	return out
}

func topLevel(specs []completionSpec) []string {
	var out []string
	for _, s := range specs {
		if !strings.Contains(s.name, " ") {
			out = append(out, s.name)
		}
	}
	return out
}

func flagWords(s completionSpec) []string {
	var out []string
	for _, f := range s.flags {
		out = append(out, "--"+f.Name)
	}
	return out
}

func writeBash(w io.Writer, specs []completionSpec) {
	fmt.Fprintf(w, `# bash completion for groupsync: source <(groupsync completion bash)
_groupsync() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd="" i
  if [[ $prev == --config ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --config) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}; elif [[ $cmd == jobs && ${COMP_WORDS[i]} == show ]]; then cmd="jobs show"; fi ;;
    esac
  done
  local words="--config -v --help"
  case $cmd in
    "") words="$words %s" ;;
`, strings.Join(topLevel(specs), " "))
	for _, s := range specs {
		words := append(flagWords(s), s.subs...)
		if s.name == "help" {
			words = append(words, topLevel(specs)...)
		}
		if s.name == "completion" {
			words = append(words, "bash", "zsh", "fish")
		}
		fmt.Fprintf(w, "    %q) words=\"$words %s\" ;;\n", s.name, strings.Join(words, " "))
	}
	fmt.Fprint(w, `  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _groupsync groupsync
`)
}

func writeZsh(w io.Writer, specs []completionSpec) {
	fmt.Fprint(w, `#compdef groupsync
# zsh completion for groupsync: groupsync completion zsh > "${fpath[1]}/_groupsync"
_groupsync() {
  local -a cmds
  cmds=(
`)
	for _, s := range specs {
		if !strings.Contains(s.name, " ") {
			fmt.Fprintf(w, "    %s\n", zshQuote(s.name+":"+s.summary))
		}
	}
	fmt.Fprint(w, `  )
  local cmd="" sub="" i
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
      --config) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
    esac
  done
  if [[ $words[CURRENT-1] == --config ]]; then _files; return; fi
  if [[ -z $cmd ]]; then _describe command cmds; compadd -- --config -v --help; return; fi
  [[ $cmd == jobs && $sub == show ]] && cmd="jobs show"
  case $cmd in
`)
	for _, s := range specs {
		var args []string
		for _, f := range s.flags {
			args = append(args, zshQuote("--"+f.Name+"["+strings.ReplaceAll(f.Usage, "]", "\\]")+"]"))
		}
		extra := strings.Join(s.subs, " ")
		switch s.name {
		case "help":
			extra = strings.Join(topLevel(specs), " ")
		case "completion":
			extra = "bash zsh fish"
		}
		fmt.Fprintf(w, "    %q) _arguments %s '--help[show help]' '--config[config file]:file:_files' '-v[debug logging]'", s.name, strings.Join(args, " "))
		if extra != "" {
			fmt.Fprintf(w, " '*:argument:(%s)'", extra)
		}
		fmt.Fprint(w, " ;;\n")
	}
	fmt.Fprint(w, `  esac
}
compdef _groupsync groupsync
`)
}

func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeFish(w io.Writer, specs []completionSpec) {
	fmt.Fprintln(w, "# fish completion for groupsync: groupsync completion fish > ~/.config/fish/completions/groupsync.fish")
	top := strings.Join(topLevel(specs), " ")
	fmt.Fprintln(w, "complete -c groupsync -f")
	fmt.Fprintln(w, "complete -c groupsync -l config -r -F -d 'config file'")
	fmt.Fprintln(w, "complete -c groupsync -s v -d 'debug logging'")
	for _, s := range specs {
		cond := fmt.Sprintf("__fish_seen_subcommand_from %s", s.name)
		if strings.Contains(s.name, " ") {
			parent, sub, _ := strings.Cut(s.name, " ")
			cond = fmt.Sprintf("__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s", parent, sub)
		} else {
			fmt.Fprintf(w, "complete -c groupsync -n 'not __fish_seen_subcommand_from %s' -a %s -d %s\n", top, s.name, fishQuote(s.summary))
		}
		for _, sub := range s.subs {
			c, _ := lookupCommand(s.name + " " + sub)
			fmt.Fprintf(w, "complete -c groupsync -n '%s' -a %s -d %s\n", cond, sub, fishQuote(c.summary))
		}
		for _, f := range s.flags {
			fmt.Fprintf(w, "complete -c groupsync -n '%s' -l %s -d %s\n", cond, f.Name, fishQuote(f.Usage))
		}
	}
	fmt.Fprintf(w, "complete -c groupsync -n '__fish_seen_subcommand_from help' -a '%s'\n", top)
	fmt.Fprintln(w, "complete -c groupsync -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
