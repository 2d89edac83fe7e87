package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
)

// exportSizes compresses the plain JSON Lines export of the population
// (what `xanode gen` writes, in generation order) with the general-purpose
// tools the bundle is measured against, and prints bytes per record
// beside the bundle's. gzip and zstd's best level run in process; xz and
// zstd -19 (which compresses better than the library's best level) as
// the binaries, when there are any.
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
		{"xz -9 (the xz binary)", func(b []byte) (int, error) { return toolSize(ctx, b, "xz", "-9") }},
		{"zstd, best (klauspost)", zstdSize},
		{"zstd -19 (the zstd binary)", func(b []byte) (int, error) { return toolSize(ctx, b, "zstd", "-19") }},
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
		var missing *exec.Error
		switch {
		case errors.As(errs[i], &missing) && errors.Is(missing.Err, exec.ErrNotFound):
			fmt.Printf("  %-31s %s not found\n", t.name+":", missing.Name)
		case errs[i] != nil:
			return fmt.Errorf("%s: %w", t.name, errs[i])
		default:
			fmt.Printf("  %-31s %5.1f bytes/record; the full bundle is %.0f%% of it\n", t.name+":", float64(sizes[i])/n, 100*float64(bundleSize)/float64(sizes[i]))
		}
	}
	return nil
}

func gzipSize(b []byte) (int, error) {
	return compressedSize(b, func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) })
}

func zstdSize(b []byte) (int, error) {
	return compressedSize(b, func(w io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	})
}

// compressedSize is the size of b compressed by the writer newWriter
// makes.
func compressedSize(b []byte, newWriter func(io.Writer) (io.WriteCloser, error)) (int, error) {
	var n countWriter
	zw, err := newWriter(&n)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(b); err != nil {
		return 0, err
	}
	err = zw.Close()
	return int(n), err
}

// toolSize runs a compressor binary on b, as `name args... -c`.
func toolSize(ctx context.Context, b []byte, name string, args ...string) (int, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return 0, err
	}
	var n countWriter
	cmd := exec.CommandContext(ctx, path, append(args, "-c")...)
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
