// Command xanode runs every xanode role: city node, edge node, demo, fleet
// administration, card tools, data generation and benchmarks. It only parses
// the command line; the roles are assembled in package node and below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one top-level subcommand. Each lives in its own file and
// registers itself in commands from an init function.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

// errUsage marks a command-line mistake: the usage has been printed already.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (e.g. card read: 2 access denied).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "xanode: unknown command %q\n\n", args[0])
		usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, args[1:])
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage) && errors.As(err, &ee):
		return ee.code // the usage was printed; the command chose the status
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(os.Stderr, "xanode %s: %v\n", args[0], err)
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: xanode <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-7s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'xanode <command> -h' for the flags of one command.")
}
