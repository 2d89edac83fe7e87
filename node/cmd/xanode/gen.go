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
	defects := fs.Int("defects", 0, "inject this many known defects of each data-quality rule's kind (needs --truth)")
	truthPath := fs.String("truth", "", "with --defects: write what was injected to this `file` (JSON Lines)")
	list := fs.Bool("list", false, "list the known communes and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: xanode gen --commune CODE --citizens N --out FILE [--seed S] [--year Y] [--defects N --truth FILE]")
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
	case *defects < 0 || (*defects > 0) != (*truthPath != ""):
		missing = errors.New("--defects N (at least 1) and --truth FILE go together")
	}
	if missing != nil {
		fmt.Fprintf(fs.Output(), "xanode gen: %v\n", missing)
		fs.Usage()
		return errUsage
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	return generate(ctx, opts, *out, *defects, *truthPath)
}

// generate writes the population to path, through a temporary file renamed
// at the end so that an interrupted run never leaves a file that looks
// complete; with defects, it injects them and writes the truth file.
func generate(ctx context.Context, opts gen.Options, path string, defects int, truthPath string) error {
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
	households, last, n := 0, "", 0
	emit := func(c *registry.Citizen) error {
		n++
		if hh := c.Get(registry.FieldHousehold); hh != last { // members come together
			households, last = households+1, hh
			if households%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return jw.Write(c)
	}
	var err error
	var truth *gen.Truth
	if defects > 0 {
		truth, err = gen.GenerateWithDefects(opts, defects, emit)
	} else {
		err = gen.Generate(opts, emit)
	}
	if err == nil {
		err = jw.Flush()
	}
	if err == nil && truth != nil {
		err = writeFileAtomic(truthPath, func(w io.Writer) error { return gen.WriteTruth(w, truth) })
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
		n, households, opts.Commune, name, opts.Seed, float64(cw.n)/1e6,
		time.Since(start).Round(time.Millisecond), path)
	if truth != nil {
		fmt.Fprintf(os.Stderr, "xanode gen: %d defects (%d of each rule's kind asked) and %d card reads as of %s → %s\n",
			len(truth.Defects), defects, len(truth.Reads), truth.AsOf, truthPath)
	}
	return nil
}

// writeFileAtomic writes a file through a temporary one renamed over it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
