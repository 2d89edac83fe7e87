//go:build pcsc

package pcsc_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/reader/pcsc/pcsctest"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/trust/trusttest"
	"github.com/xanode/xanode/reader/vncard"
)

var person = emulator.Person{
	ID: "092198012345", FullName: "Trần Đức Thắng", DateOfBirth: vncard.Date{Year: 1980, Month: 7, Day: 21}, Sex: "M",
	IssueDate: vncard.Date{Year: 2022, Month: 1, Day: 5}, ExpiryDate: vncard.Date{Year: 2040, Month: 7, Day: 21},
	Ethnicity: "Kinh", Religion: "Không", Hometown: "Phường An Hòa, Quận Ninh Kiều, Cần Thơ",
	Residence: "Số 5 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, Cần Thơ",
	Father:    "Trần Văn Ơn", Mother: "Lê Thị Ngọc Ánh", Spouse: "Phạm Thị Hồng Nhung",
}

// writeCard writes a card issued under a PKI shaped like Vietnam's
// (brainpool, explicit parameters) and returns its folder and a trust
// store holding its CSCA.
func writeCard(t *testing.T, chip emulator.ChipKeys) (string, *trust.Store) {
	t.Helper()
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	files, err := emulator.Build(person, pki.DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	// A 20 KB JPEG 2000 face, as real cards carry: many short reads, or a
	// few extended ones.
	files["DG2"] = vncard.EncodeDG2(append([]byte{0xFF, 0x4F, 0xFF, 0x51}, make([]byte, 20000)...), true, 480, 640)
	// EF.CardAccess announces PACE as on the CCCD: vicc refuses it (6D00)
	// and the reader falls back to BAC; the Go emulator runs it. DG14
	// repeats it, signed.
	if err := emulator.AddPACE(files); err != nil {
		t.Fatal(err)
	}
	if err := emulator.AddChipKeys(files, chip, pki.DocumentSigner); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := emulator.WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	if err := pki.WritePEM(dir); err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(pki.CSCA); err != nil {
		t.Fatal(err)
	}
	return dir, store
}

// TestViccSelftestCard has the independent emulator load a card our
// builder wrote and read every file back through its own BAC terminal,
// error paths included. It needs Python with PyCryptodome and vsmartcard,
// not pcscd.
func TestViccSelftestCard(t *testing.T) {
	script := pcsctest.ViccScript(t)
	dir, _ := writeCard(t, emulator.ChipKeys{})
	out, err := exec.Command("/usr/bin/python3", script, "--selftest-card", dir).CombinedOutput()
	if err != nil {
		if !pcsctest.Required() && strings.Contains(string(out), "ModuleNotFoundError") {
			t.Skipf("vicc_emrtd.py cannot run here: %s\n%s", lastLine(out), pcsctest.HowTo)
		}
		t.Fatalf("vicc_emrtd.py --selftest-card: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "selftest-card") || !strings.Contains(string(out), ": OK,") {
		t.Fatalf("unexpected selftest output:\n%s", out)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func readThrough(t *testing.T, readerName string, key reader.Key, store *trust.Store) (*reader.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	card, err := pcsc.Open(ctx, readerName)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	return reader.Config{Trust: store}.Read(ctx, card, key)
}

func checkResult(t *testing.T, res *reader.Result) {
	t.Helper()
	d := res.DG13
	if res.ID != person.ID || d.FullName != person.FullName || d.Father != person.Father || d.Mother != person.Mother ||
		d.Spouse != person.Spouse || d.Residence != person.Residence || d.DateOfBirth != person.DateOfBirth || d.Sex != "Nam" {
		t.Fatalf("read back %+v", d)
	}
	if !slices.Equal(res.Files, []string{"COM", "DG14", "DG1", "DG2", "DG13", "SOD"}) || res.PA.Status != reader.StatusOK || res.Assurance != reader.AssuranceChipVerified ||
		res.Face == nil || res.Face.Format != vncard.FormatJPEG2000 || res.CardAccess.Status != reader.StatusOK {
		t.Fatalf("files %v PA %+v EF.CardAccess %+v assurance %s", res.Files, res.PA, res.CardAccess, res.Assurance)
	}
	t.Logf("read %s through PC/SC in %d APDUs", res.ID, res.APDUs)
}

// TestInteropVICC reads a card written by our builder and served by the
// independent vsmartcard emulator, through pcscd, with the real reader.
func TestInteropVICC(t *testing.T) {
	pcsctest.Require(t)
	dir, store := writeCard(t, emulator.ChipKeys{})
	name := pcsctest.StartVICC(t, dir, "--quirk-cccd", "--reader-slot", "0").Reader
	key, err := reader.KeyFromID(person.ID, "800721", "400721")
	if err != nil {
		t.Fatal(err)
	}
	wrong := key
	wrong.DateOfBirth = "800722"
	if _, err := readThrough(t, name, wrong, store); !errors.Is(err, reader.ErrAccessDenied) {
		t.Fatalf("wrong key through vicc (6988): %v", err)
	}
	res, err := readThrough(t, name, key, store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != reader.AccessBAC || len(res.Warnings) != 1 {
		t.Fatalf("vicc has no PACE: access %s, warnings %q", res.Access, res.Warnings)
	}
	checkResult(t, res)
}

// TestInteropGoEmulator presents our emulator to pcscd through vpcd, as
// `xanode card emulate` does, and reads it back through PC/SC.
func TestInteropGoEmulator(t *testing.T) {
	pcsctest.Require(t)
	caKey, err := trusttest.GenerateKey("brainpoolP256r1")
	if err != nil {
		t.Fatal(err)
	}
	chip := emulator.ChipKeys{CA: caKey.(*ecdsa.PrivateKey)}
	dir, store := writeCard(t, chip)
	files, err := emulator.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(files, emulator.Options{QuirkCCCD: true, ChipKeys: chip, ExtendedLength: true})
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Serve(t, card, pcsctest.Port1)
	key, _ := reader.KeyFromID(person.ID, "800721", "400721")
	wrong := key
	wrong.DateOfExpiry = "400722"
	if _, err := readThrough(t, pcsctest.Slot1, wrong, store); !errors.Is(err, reader.ErrAccessDenied) {
		t.Fatalf("wrong key through our emulator (6300): %v", err)
	}
	if _, err := readThrough(t, pcsctest.Slot1, reader.CAN("000000"), store); !errors.Is(err, reader.ErrAccessDenied) {
		t.Fatalf("wrong CAN through our emulator: %v", err)
	}
	res, err := readThrough(t, pcsctest.Slot1, reader.CAN(person.ID[6:]), store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != reader.AccessPACE {
		t.Fatalf("access %s, want PACE", res.Access)
	}
	if res.APDUs > 40 {
		t.Fatalf("%d APDUs: the 20 KB face was not read with extended length", res.APDUs)
	}
	if res.CloneCheck.Method != reader.CloneCheckCA || res.CloneCheck.Status != reader.StatusOK || res.Assurance != reader.AssuranceChipCloningChecked {
		t.Fatalf("chip authentication through PC/SC: %+v, %s", res.CloneCheck, res.Assurance)
	}
	res.Assurance = reader.AssuranceChipVerified
	checkResult(t, res)
}
