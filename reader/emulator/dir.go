package emulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xanode/xanode/reader/emrtd"
)

// Files are the elementary files of a card by ICAO short name (COM, DG1,
// DG13, SOD, CardAccess, ...), each the raw bytes stored on the chip.
type Files map[string][]byte

// maxFileSize bounds what LoadDir reads: even-INS READ BINARY cannot
// address more, and it keeps a wrong directory from filling memory.
const maxFileSize = 0x8000

// LoadDir reads a card directory as shared/cards/README.md defines it: one
// file per EF named by its short name, case-insensitive, with an optional
// .bin suffix. Other files (*.pem, *.json, ...) are ignored.
func LoadDir(dir string) (Files, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("emulator: card directory: %w", err)
	}
	files := Files{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		base := e.Name()
		if strings.EqualFold(filepath.Ext(base), ".bin") {
			base = base[:len(base)-4]
		}
		f, ok := emrtd.FileByName(base)
		if !ok {
			continue
		}
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("emulator: %s given twice in %s", f.Name, dir)
		}
		path := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if info.Size() > maxFileSize {
			return nil, fmt.Errorf("emulator: %s has %d bytes, more than a card file can hold (%d)", path, info.Size(), maxFileSize)
		}
		if files[f.Name], err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("emulator: no card files (COM, DG1, SOD, ...) in %s", dir)
	}
	return files, nil
}

// WriteDir writes the files into dir (created if needed), one per EF named
// by its short name, readable by LoadDir and by shared/cards/vicc_emrtd.py.
func WriteDir(dir string, files Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		f, ok := emrtd.FileByName(n)
		if !ok {
			return fmt.Errorf("emulator: %q is not an ICAO elementary file name", n)
		}
		errs = append(errs, os.WriteFile(filepath.Join(dir, f.Name), files[n], 0o644))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("emulator: write card: %w", err)
	}
	return nil
}
