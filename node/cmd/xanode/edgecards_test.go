package main

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// TestEdgeCardsFlags: the reader flags of `xanode edge` that cannot go
// together are a usage error, before anything starts.
func TestEdgeCardsFlags(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name            string
		cardDir, reader string
		cscas           []string
		usage           bool
	}{
		{"reader and emulated cards", missing, "any", nil, true},
		{"CSCA without a reader", "", "", []string{missing}, true},
		{"CSCA file missing", "", "any", []string{missing}, false},
		{"emulated cards missing", missing, "", nil, false},
	} {
		cards, _, _, err := edgeCards(tc.cardDir, tc.reader, tc.cscas, quiet)
		if err == nil || cards != nil || errors.Is(err, errUsage) != tc.usage {
			t.Errorf("%s: %v (usage error: want %v)", tc.name, err, tc.usage)
		}
	}
	cards, _, stop, err := edgeCards("", "", nil, quiet)
	if err != nil || cards != nil {
		t.Errorf("no reader: %v, %v", cards, err)
	}
	stop()
}
