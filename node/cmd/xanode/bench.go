package main

import (
	"context"
	"fmt"
	"os"
	"sort"
)

// benchCommands are the subcommands of `xanode bench`; each file that adds
// one registers it from its own init.
var benchCommands = map[string]command{}

func init() {
	commands["bench"] = command{"multi-process benchmarks: figures on stdout (see 'xanode bench')", runBench}
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || benchCommands[args[0]].run == nil {
		fmt.Fprintln(os.Stderr, "usage: xanode bench <benchmark> [flags]\n\nbenchmarks:")
		names := make([]string, 0, len(benchCommands))
		for n := range benchCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-7s %s\n", n, benchCommands[n].summary)
		}
		return errUsage
	}
	return benchCommands[args[0]].run(ctx, args[1:])
}
