//go:build !pcsc

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/xanode/xanode/reader/pcsc"
)

// TestCardReadersNotBuilt: without the pcsc tag, listing readers and
// reading from one say how to get PC/SC support.
func TestCardReadersNotBuilt(t *testing.T) {
	if err := cardReaders(context.Background(), nil, io.Discard); !errors.Is(err, pcsc.ErrNotBuilt) {
		t.Errorf("card readers: %v, want ErrNotBuilt", err)
	}
	if got := run([]string{"card", "readers"}); got != 1 {
		t.Errorf("card readers: exit %d, want 1", got)
	}
	if got := run([]string{"card", "read", "--reader", "any", "--can", "123456"}); got != 1 {
		t.Errorf("card read --reader: exit %d, want 1", got)
	}
}

// TestEdgeReaderNotBuilt: `xanode edge --reader` fails at start-up, not at
// the first tap.
func TestEdgeReaderNotBuilt(t *testing.T) {
	if _, _, _, err := edgeCards("", "any", nil, slog.New(slog.NewTextHandler(io.Discard, nil))); !errors.Is(err, pcsc.ErrNotBuilt) {
		t.Errorf("edge --reader any: %v, want ErrNotBuilt", err)
	}
}
