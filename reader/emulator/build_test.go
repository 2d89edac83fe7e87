package emulator

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/keys"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

func TestBuild(t *testing.T) {
	p := mustPKI(t)
	files, err := Build(testPerson, p.DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	com, err := emrtd.ParseCOM(files["COM"])
	if err != nil || len(com.DataGroups) != 2 || !com.Has(1) || !com.Has(13) {
		t.Fatalf("COM = %+v, %v", com, err)
	}
	mrz, err := vncard.ParseDG1(files["DG1"])
	if err != nil || mrz.ID() != testPerson.ID || mrz.BACKey() != testKey {
		t.Fatalf("DG1 = %+v, %v", mrz, err)
	}
	d, err := vncard.ParseDG13(files["DG13"])
	if err != nil {
		t.Fatal(err)
	}
	if d.FullName != testPerson.FullName || d.Sex != "Nữ" || d.Nationality != "Việt Nam" || d.Residence != testPerson.Residence ||
		d.Father != testPerson.Father || d.Mother != testPerson.Mother || d.IssueDate != testPerson.IssueDate {
		t.Fatalf("DG13 = %+v", d)
	}

	// EF.SOD: hashes of what was written, signed by the Document Signer,
	// whose certificate chains to the CSCA.
	s, err := sod.Parse(files["SOD"])
	if err != nil {
		t.Fatal(err)
	}
	for n, name := range map[int]string{1: "DG1", 13: "DG13"} {
		if err := s.CheckDataGroup(n, files[name]); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(s.Hashes) != 2 || len(s.Certificates) != 1 {
		t.Fatalf("SOD lists %d hashes, %d certificates", len(s.Hashes), len(s.Certificates))
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(p.CSCA); err != nil {
		t.Fatal(err)
	}
	if r := store.Verify(files["SOD"], map[int][]byte{1: files["DG1"], 13: files["DG13"]}, time.Now()); !r.Verified {
		t.Fatalf("passive authentication of the built card: %q", r.Reasons)
	}

	// Seal after adding a data group lists and hashes it.
	files["DG2"] = append([]byte{0x75, 0x82, 0x07, 0xD0}, make([]byte, 2000)...)
	if err := Seal(files, p.DocumentSigner); err != nil {
		t.Fatal(err)
	}
	com, _ = emrtd.ParseCOM(files["COM"])
	s, _ = sod.Parse(files["SOD"])
	if !com.Has(2) || s.CheckDataGroup(2, files["DG2"]) != nil {
		t.Fatalf("DG2 not sealed: %+v", com)
	}
}

func TestBuildRejects(t *testing.T) {
	ds := mustPKI(t).DocumentSigner
	for name, mod := range map[string]func(p *Person){
		"short ID":   func(p *Person) { p.ID = "12345" },
		"no name":    func(p *Person) { p.FullName = "" },
		"no expiry":  func(p *Person) { p.ExpiryDate = vncard.Date{} },
		"sex":        func(p *Person) { p.Sex = "Nữ" },
		"no DOB":     func(p *Person) { p.DateOfBirth = vncard.Date{} },
		"bad digits": func(p *Person) { p.ID = "00119501234x" },
	} {
		p := testPerson
		mod(&p)
		if _, err := Build(p, ds); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Build(testPerson, Signer{}); err == nil {
		t.Error("built without a Document Signer")
	}
}

func TestDirRoundTrip(t *testing.T) {
	_, files := mustCard(t, Options{})
	dir := t.TempDir()
	if err := WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	if err := mustPKI(t).WritePEM(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "DG13"), filepath.Join(dir, "dg13.bin")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) {
		t.Fatalf("LoadDir found %d files, want %d", len(got), len(files))
	}
	for n, b := range files {
		if !bytes.Equal(got[n], b) {
			t.Errorf("%s differs", n)
		}
	}
	os.WriteFile(filepath.Join(dir, "DG13"), files["DG13"], 0o644)
	if _, err := LoadDir(dir); err == nil {
		t.Error("DG13 twice accepted")
	}
	if _, err := LoadDir(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := WriteDir(t.TempDir(), Files{"PHOTO": nil}); err == nil {
		t.Error("unknown file written")
	}
	for _, n := range []string{"csca.pem", "ds.pem"} {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || !bytes.HasPrefix(b, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// TestViccSample serves the card that the independent Python emulator
// wrote, and reads every file back through BAC.
func TestViccSample(t *testing.T) {
	files, err := LoadDir("../testdata/vicc-sample")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(files, Options{QuirkCCCD: true})
	if err != nil {
		t.Fatal(err)
	}
	s := emrtd.NewSession(c, nil)
	ctx := context.Background()
	if err := s.SelectMaster(ctx); err != nil {
		t.Fatal(err)
	}
	s.SelectApplication(ctx)
	if err := s.BAC(ctx, emrtd.BACKey{DocumentNumber: "090012345", DateOfBirth: "900115", DateOfExpiry: "300115"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		f, _ := emrtd.FileByName(name)
		got, err := s.ReadFile(ctx, f)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
	}
}

// fakeVPCD plays pcscd's side of the vpcd protocol.
type fakeVPCD struct {
	t    *testing.T
	conn net.Conn
}

func (f *fakeVPCD) send(msg []byte) {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	if _, err := f.conn.Write(append(b, msg...)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeVPCD) recv() []byte {
	var hdr [2]byte
	f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(f.conn, hdr[:]); err != nil {
		f.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(f.conn, b); err != nil {
		f.t.Fatal(err)
	}
	return b
}

func TestServeVPCD(t *testing.T) {
	c, _ := mustCard(t, Options{QuirkCCCD: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- c.ServeVPCD(ctx, ln.Addr().String(), func() { close(ready) }) }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v := &fakeVPCD{t: t, conn: conn}
	v.send([]byte{vpcdPowerOn})
	v.send([]byte{vpcdATR})
	if got := v.recv(); !bytes.Equal(got, ATR) {
		t.Fatalf("ATR = %X", got)
	}
	<-ready
	v.send([]byte{0x00, 0xA4, 0x00, 0x0C})
	if got := v.recv(); !bytes.Equal(got, []byte{0x6D, 0x00}) {
		t.Fatalf("SELECT MF -> %X", got)
	}
	v.send([]byte{vpcdReset})
	v.send(unhex(t, "00A4040C07A0000002471001"))
	if got := v.recv(); !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Fatalf("SELECT AID -> %X", got)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("ServeVPCD after cancel: %v", err)
	}
	if err := c.ServeVPCD(context.Background(), "127.0.0.1:1", nil); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("ServeVPCD to a closed port: %v", err)
	}
}

func TestChipKeysFile(t *testing.T) {
	bp, _ := keys.CurveByName("brainpoolP256r1")
	ca, _ := ecdsa.GenerateKey(bp.Curve, rand.Reader)
	for _, aa := range []crypto.Signer{mustRSAKey(t), ca} {
		dir := t.TempDir()
		in := ChipKeys{CA: ca, CACipher: emrtd.AES256, AA: aa}
		if err := WriteChipKeys(dir, in); err != nil {
			t.Fatal(err)
		}
		out, err := LoadChipKeys(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !out.CA.Equal(ca) || out.CACipher != emrtd.AES256 || !out.AA.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(aa.Public()) {
			t.Fatalf("round trip: %+v", out)
		}
		if info, err := os.Stat(filepath.Join(dir, ChipKeysFile)); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode: %v %v", info.Mode(), err)
		}
	}
	if k, err := LoadChipKeys(t.TempDir()); err != nil || k.CA != nil || k.AA != nil {
		t.Fatalf("no key file: %+v %v", k, err)
	}
}

func mustRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
