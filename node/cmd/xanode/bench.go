package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/xanode/xanode/node/bench"
)

func init() {
	commands["bench"] = command{"multi-process benchmarks: figures on stdout (see 'xanode bench')", runBench}
}

// runBench dispatches to a benchmark of package bench.
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || bench.Commands[args[0]].Run == nil {
		fmt.Fprintln(os.Stderr, "usage: xanode bench <benchmark> [flags]\n\nbenchmarks:")
		names := make([]string, 0, len(bench.Commands))
		for n := range bench.Commands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-7s %s\n", n, bench.Commands[n].Summary)
		}
		return errUsage
	}
	err := bench.Commands[args[0]].Run(ctx, args[1:])
	if errors.Is(err, bench.ErrUsage) {
		return errUsage
	}
	return err
}
