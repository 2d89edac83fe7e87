package reader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

func mustStore(t testing.TB, cscas ...[]byte) *trust.Store {
	t.Helper()
	s := trust.NewStore()
	for _, c := range cscas {
		if _, err := s.LoadBytes(c); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestReadPassiveAuthentication reads a card issued under a PKI shaped like
// Vietnam's (brainpoolP512r1 CSCA with explicit parameters, brainpoolP256r1
// Document Signer) and checks it against a trust store.
func TestReadPassiveAuthentication(t *testing.T) {
	now := time.Now()
	vn, err := emulator.NewTestPKIWith(now, emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	files, err := emulator.Build(person, vn.DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	files["DG2"] = append([]byte{0x75, 0x82, 0x03, 0xE8}, make([]byte, 1000)...)
	if err := emulator.Seal(files, vn.DocumentSigner); err != nil {
		t.Fatal(err)
	}
	store := mustStore(t, vn.CSCA)
	read := func(files emulator.Files, c Config) *Result {
		t.Helper()
		res, err := c.Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true}), mustKey(t))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := read(files, Config{Trust: store})
	if res.PA.Status != StatusOK || len(res.PA.Reasons) != 0 || res.Assurance != AssuranceChipVerified ||
		res.PA.CSCA != "CN=xanode test CSCA,O=xanode test,C=VN" || res.PA.DocumentSigner != "CN=xanode test Document Signer,O=xanode test,C=VN" {
		t.Fatalf("PA %+v, assurance %s", res.PA, res.Assurance)
	}
	// Another country's (or another test run's) CSCA does not vouch for it.
	if res := read(files, Config{Trust: mustStore(t, mustPKI(t).CSCA)}); res.PA.Status != StatusFailed || res.Assurance != AssuranceChipRead {
		t.Fatalf("foreign CSCA: %+v", res.PA)
	}
	// Read twenty years on, the certificates have expired.
	later := func() time.Time { return now.AddDate(20, 0, 0) }
	if res := read(files, Config{Trust: store, Now: later}); res.PA.Status != StatusFailed || !strings.Contains(strings.Join(res.PA.Reasons, ";"), "not at") {
		t.Fatalf("expired: %+v", res.PA)
	}
	// A changed DG13 fails PA even with the right trust store.
	d, _ := vncard.ParseDG13(files["DG13"])
	d.FullName = "Nguyễn Thị Thu Hằng"
	changed := emulator.Files{}
	for k, v := range files {
		changed[k] = v
	}
	changed["DG13"], _ = d.Marshal()
	if res := read(changed, Config{Trust: store}); res.PA.Status != StatusFailed || res.Assurance != AssuranceChipRead ||
		!strings.Contains(strings.Join(res.PA.Reasons, ";"), "DG13") {
		t.Fatalf("changed DG13: %+v", res.PA)
	}
	// Without DG2 read (SkipFace), PA covers what was read.
	if res := read(files, Config{Trust: store, SkipFace: true}); res.PA.Status != StatusOK {
		t.Fatalf("SkipFace: %+v", res.PA)
	}
	// A card without EF.SOD cannot pass.
	delete(changed, "SOD")
	changed["DG13"] = files["DG13"]
	if res := read(changed, Config{Trust: store}); res.PA.Status != StatusFailed || res.PA.Reasons[0] != "the card has no EF.SOD" {
		t.Fatalf("no SOD: %+v", res.PA)
	}
}

func TestReadFace(t *testing.T) {
	for _, jpeg2000 := range []bool{false, true} {
		files := mustFiles(t)
		image := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 3000)...)
		if jpeg2000 {
			image = append([]byte{0xFF, 0x4F, 0xFF, 0x51}, make([]byte, 3000)...)
		}
		files["DG2"] = vncard.EncodeDG2(image, jpeg2000, 240, 320)
		if err := emulator.Seal(files, mustPKI(t).DocumentSigner); err != nil {
			t.Fatal(err)
		}
		res, err := Config{Trust: mustStore(t, mustPKI(t).CSCA)}.Read(context.Background(), mustCard(t, files, emulator.Options{}), mustKey(t))
		if err != nil {
			t.Fatal(err)
		}
		f := res.Face
		if f == nil || (f.Format == vncard.FormatJPEG2000) != jpeg2000 || len(f.Image) != len(image) || res.PA.Status != StatusOK || len(res.Warnings) != 0 {
			t.Fatalf("face %+v, PA %+v, warnings %q", f, res.PA, res.Warnings)
		}
		b, _ := res.MarshalJSON()
		if jpeg2000 != strings.Contains(string(b), "web browsers cannot show") || !strings.Contains(string(b), `"bytes":3004`) {
			t.Fatalf("JSON %s", b)
		}
	}
}
