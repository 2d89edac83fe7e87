// Package cardtool holds the card tools of `xanode card` (DESIGN.md,
// "Chip cards"): the access key from the command line, the transport (a
// PC/SC reader or the in-process emulator), the CSCA trust store, a read's
// printout, and the test chips `card make` writes.
package cardtool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/faceimg"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/reader/trust"
)

// LoadTrust builds the CSCA trust store from the --csca paths; none means
// no store, and passive authentication is then not checked.
func LoadTrust(paths []string) (*trust.Store, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	store := trust.NewStore()
	for _, p := range paths {
		if _, err := store.Load(p); err != nil {
			return nil, fmt.Errorf("--csca: %w", err)
		}
	}
	return store, nil
}

// Key is the access key to a card: the CAN, or the MRZ key from the ID or
// the document number, with the dates of birth and expiry.
func Key(id, doc, dob, exp, can string) (reader.Key, error) {
	switch {
	case can != "" && (id != "" || doc != ""):
		return nil, errors.New("give either --can or the MRZ key (--id or --doc with --dob and --exp), not both")
	case can != "":
		return reader.CAN(can), nil
	case id != "" && doc != "":
		return nil, errors.New("give --id or --doc, not both")
	case id == "" && doc == "":
		return nil, errors.New("give the MRZ key: --id (or --doc), --dob and --exp")
	case doc != "":
		return reader.MRZKey{DocumentNumber: doc, DateOfBirth: dob, DateOfExpiry: exp}, nil
	case dob == "" && exp == "":
		return reader.CANFromID(id)
	}
	return reader.KeyFromID(id, dob, exp)
}

// Open returns the transport to read from: the in-process emulator
// serving a card directory, or a PC/SC reader.
func Open(ctx context.Context, readerName, emulateDir string) (reader.Transport, func() error, error) {
	if emulateDir != "" {
		if readerName != "" {
			return nil, nil, errors.New("give --reader or --emulate-card, not both")
		}
		c, err := LoadCard(emulateDir, emulator.Options{QuirkCCCD: true})
		if err != nil {
			return nil, nil, err
		}
		return c, func() error { return nil }, nil
	}
	if readerName == "any" {
		readerName = ""
	}
	c, err := pcsc.Open(ctx, readerName)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Close, nil
}

// LoadCard makes the emulator for a card directory, with the chip's
// private keys when `card make` wrote them.
func LoadCard(dir string, opts emulator.Options) (*emulator.Card, error) {
	files, err := emulator.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if opts.ChipKeys, err = emulator.LoadChipKeys(dir); err != nil {
		return nil, err
	}
	return emulator.New(files, opts)
}

// Print writes what a card read found: a table, or one JSON object.
func Print(w io.Writer, res *reader.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // keep MRZ fillers '<' readable
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	rows := [][2]string{{"ID", res.ID}, {"document", res.DocumentNumber}}
	if d := res.DG13; d != nil {
		rows = append(rows, [][2]string{
			{"name", d.FullName}, {"date of birth", d.DateOfBirth.String()}, {"sex", d.Sex},
			{"nationality", d.Nationality}, {"ethnicity", d.Ethnicity}, {"religion", d.Religion},
			{"hometown", d.Hometown}, {"residence", d.Residence}, {"characteristics", d.Characteristics},
			{"issued", d.IssueDate.String()}, {"expires", d.ExpiryDate.String()},
			{"father", d.Father}, {"mother", d.Mother}, {"spouse", d.Spouse}, {"old ID", d.OldID},
		}...)
	}
	if f := res.Face; f != nil {
		rows = append(rows, [2]string{"face", strings.TrimSuffix(fmt.Sprintf("%s, %d bytes (%s)", f.Format, len(f.Image), f.Note), " ()")})
	}
	rows = append(rows, [][2]string{
		{"MRZ", strings.Join(res.MRZ, " ")}, {"files", strings.Join(res.Files, " ")}, {"access", res.Access},
		{"PA", strings.TrimSuffix(res.PA.Status+" ("+strings.Join(res.PA.Reasons, "; ")+")", " ()")},
		{"PA notes", strings.Join(res.PA.Notes, "; ")}, {"CSCA", res.PA.CSCA}, {"document signer", res.PA.DocumentSigner},
		{"clone check", strings.TrimSuffix(res.CloneCheck.Method+", "+res.CloneCheck.Status+" ("+res.CloneCheck.Reason+")", " ()")},
		{"EF.CardAccess", strings.TrimSuffix(res.CardAccess.Status+" ("+res.CardAccess.Reason+")", " ()")},
		{"assurance", string(res.Assurance)}, {"APDUs", fmt.Sprint(res.APDUs)},
	}...)
	for _, warn := range res.Warnings {
		rows = append(rows, [2]string{"warning", warn})
	}
	for _, r := range rows {
		if r[1] != "" {
			if _, err := fmt.Fprintf(w, "%-16s %s\n", r[0]+":", r[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Face is the portrait --face asks for.
func Face(face, id string) ([]byte, error) {
	switch face {
	case "none":
		return nil, nil
	case "sample":
		return emulator.SampleFaceJPEG(id), nil
	case "sample-jp2":
		return emulator.SampleFaceJP2(), nil
	}
	b, err := os.ReadFile(face)
	if err != nil {
		return nil, fmt.Errorf("--face: %w", err)
	}
	if _, err := faceimg.Inspect(b); err != nil {
		return nil, fmt.Errorf("--face %s: want a JPEG or JPEG 2000 portrait: %w", face, err)
	}
	return b, nil
}

// ChipKeys makes the chip's anti-cloning keys that --clone-check asks for,
// the active authentication key of type aaKey.
func ChipKeys(which, aaKey string) (emulator.ChipKeys, error) {
	var ca, aa bool
	for _, w := range strings.Split(which, ",") {
		switch strings.TrimSpace(w) {
		case "ca":
			ca = true
		case "aa":
			aa = true
		case "none", "":
		default:
			return emulator.ChipKeys{}, fmt.Errorf("--clone-check %q: want ca, aa, ca,aa or none", which)
		}
	}
	k, err := emulator.NewChipKeys(ca, false)
	if err != nil || !aa {
		return k, err
	}
	if k.AA, err = emulator.NewAAKey(aaKey); err != nil {
		return k, fmt.Errorf("--aa-key: %w", err)
	}
	return k, nil
}
