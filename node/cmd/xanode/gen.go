package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
)

func init() {
	commands["gen"] = command{"generate a synthetic population of one commune (JSON Lines)", runGen}
}

func runGen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("xanode gen", flag.ContinueOnError)
	var opts gen.Options
	fs.StringVar(&opts.Commune, "commune", "", "commune `code` (synthetic codes; --list shows them)")
	fs.IntVar(&opts.Citizens, "citizens", 0, "number of citizens to generate")
	fs.Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed gives the same file")
	fs.IntVar(&opts.Year, "year", gen.DefaultYear, "reference year for ages and card dates")
	out := fs.String("out", "", "output `file`, - for standard output")
	list := fs.Bool("list", false, "list the known communes and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: xanode gen --commune CODE --citizens N --out FILE [--seed S] [--year Y]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package has printed the error and the usage
	}
	if *list {
		for _, c := range gen.Communes() {
			fmt.Printf("%s  %s\n", c.Code, c.Place())
		}
		return nil
	}
	var missing error
	switch {
	case fs.NArg() > 0:
		missing = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case opts.Commune == "":
		missing = errors.New("--commune is required")
	case opts.Citizens == 0:
		missing = errors.New("--citizens is required")
	case *out == "":
		missing = errors.New("--out is required (- for standard output)")
	}
	if missing != nil {
		fmt.Fprintf(fs.Output(), "xanode gen: %v\n", missing)
		fs.Usage()
		return errUsage
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	return generate(ctx, opts, *out)
}

// generate writes the population to path, through a temporary file renamed
// at the end so that an interrupted run never leaves a file that looks
// complete.
func generate(ctx context.Context, opts gen.Options, path string) error {
	start := time.Now()
	var w io.Writer = os.Stdout
	var tmp *os.File
	if path != "-" {
		var err error
		if tmp, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*"); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		defer os.Remove(tmp.Name()) // fails harmlessly once renamed
		defer tmp.Close()
		w = tmp
	}
	cw := &countingWriter{w: w}
	jw := gen.NewWriter(cw)
	households, last := 0, ""
	err := gen.Generate(opts, func(c *registry.Citizen) error {
		if hh := c.Get(registry.FieldHousehold); hh != last { // members come together
			households, last = households+1, hh
			if households%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return jw.Write(c)
	})
	if err == nil {
		err = jw.Flush()
	}
	if err == nil && tmp != nil {
		if err = tmp.Close(); err == nil {
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		return err
	}
	name, _ := gen.CommuneName(opts.Commune)
	fmt.Fprintf(os.Stderr, "xanode gen: %d citizens in %d households of %s %s (seed %d), %.1f MB in %s → %s\n",
		opts.Citizens, households, opts.Commune, name, opts.Seed, float64(cw.n)/1e6,
		time.Since(start).Round(time.Millisecond), path)
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
