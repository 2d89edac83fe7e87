// Package bench holds the benchmarks of `xanode bench`: each measures one
// budget of DESIGN.md, "Performance budgets", on this machine and prints
// its figures. A benchmark is a command with its own flags (they are many
// and only for it); node/cmd/xanode only dispatches to them.
package bench

import (
	"context"
	"errors"
)

// Command is one benchmark.
type Command struct {
	Summary string
	Run     func(ctx context.Context, args []string) error
}

// Commands are the benchmarks by name; each file registers its own from
// an init function.
var Commands = map[string]Command{}

// ErrUsage marks a command-line mistake whose usage has been printed.
var ErrUsage = errors.New("usage")
