package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
)

// exportSizes compresses the plain JSON Lines export of the population
// (what `xanode gen` writes, in generation order) with the general-purpose
// tools the bundle is measured against, and prints bytes per record
// beside the bundle's. xz runs as the `xz` binary, when there is one.
func exportSizes(ctx context.Context, opts gen.Options, bundleSize int) error {
	var export bytes.Buffer
	jw := gen.NewWriter(&export)
	if err := gen.Generate(opts, func(c *registry.Citizen) error { return jw.Write(c) }); err != nil {
		return err
	}
	if err := jw.Flush(); err != nil {
		return err
	}
	plain := export.Bytes()
	tools := []struct {
		name     string
		compress func([]byte) (int, error)
	}{
		{"gzip -9 (compress/gzip, best)", gzipSize},
		{"xz -9 (the xz binary)", func(b []byte) (int, error) { return xzSize(ctx, b) }},
		{"zstd -19 (klauspost, best)", zstdSize},
	}
	sizes := make([]int, len(tools))
	errs := make([]error, len(tools))
	var wg sync.WaitGroup
	for i, t := range tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sizes[i], errs[i] = t.compress(plain)
		}()
	}
	wg.Wait()
	n := float64(opts.Citizens)
	fmt.Printf("plain JSON Lines export:  %.1f bytes/record\n", float64(len(plain))/n)
	for i, t := range tools {
		switch {
		case errors.Is(errs[i], exec.ErrNotFound):
			fmt.Printf("  %-31s xz not found\n", t.name+":")
		case errs[i] != nil:
			return fmt.Errorf("%s: %w", t.name, errs[i])
		default:
			fmt.Printf("  %-31s %.1f bytes/record (the full bundle: %.2f×)\n", t.name+":", float64(sizes[i])/n, float64(bundleSize)/float64(sizes[i]))
		}
	}
	return nil
}

func gzipSize(b []byte) (int, error) {
	var n countWriter
	zw, err := gzip.NewWriterLevel(&n, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(b); err != nil {
		return 0, err
	}
	err = zw.Close()
	return int(n), err
}

func zstdSize(b []byte) (int, error) {
	var n countWriter
	zw, err := zstd.NewWriter(&n, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(b); err != nil {
		return 0, err
	}
	err = zw.Close()
	return int(n), err
}

func xzSize(ctx context.Context, b []byte) (int, error) {
	path, err := exec.LookPath("xz")
	if err != nil {
		return 0, err
	}
	var n countWriter
	cmd := exec.CommandContext(ctx, path, "-9", "-c")
	cmd.Stdin, cmd.Stdout = bytes.NewReader(b), &n
	err = cmd.Run()
	return int(n), err
}

// countWriter counts what is written to it and keeps nothing.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
