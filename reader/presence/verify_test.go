package presence

import (
	"bytes"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/trust/trusttest"
	"github.com/xanode/xanode/reader/vncard"
)

// testPKI is a CSCA the city trusts with its Document Signers (a current
// one, an expired one, a revoked one), and a CSCA and Document Signer it
// does not trust.
type testPKI struct {
	csca                        *trusttest.Authority
	ds, expired, revoked, rogue emulator.Signer
	store                       *trust.Store // the CSCA and its CRL revoking revoked
}

var (
	pkiOnce sync.Once
	shared  *testPKI
	pkiErr  error
)

// now is the time of every verification, so that certificates made for
// the test are valid then.
var now = time.Now()

func mustPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { shared, pkiErr = newTestPKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return shared
}

func newTestPKI() (*testPKI, error) {
	name := func(cn string) pkix.Name { return pkix.Name{Country: []string{"VN"}, CommonName: cn} }
	ca := func(cn string) (*trusttest.Authority, error) {
		key, err := trusttest.GenerateKey("P-256")
		if err != nil {
			return nil, err
		}
		return trusttest.NewCA(trusttest.Template{Subject: name(cn), NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(10, 0, 0)}, key)
	}
	signer := func(csca *trusttest.Authority, cn string, from, to time.Time) (emulator.Signer, *trusttest.Authority, error) {
		key, err := trusttest.GenerateKey("P-256")
		if err != nil {
			return emulator.Signer{}, nil, err
		}
		ds, err := csca.Issue(trusttest.Template{Subject: name(cn), NotBefore: from, NotAfter: to}, key)
		if err != nil {
			return emulator.Signer{}, nil, err
		}
		return emulator.Signer{Key: key, Cert: ds.Cert}, ds, nil
	}
	p := &testPKI{store: trust.NewStore()}
	var err error
	var revoked, rogueCA *trusttest.Authority
	if p.csca, err = ca("test CSCA"); err != nil {
		return nil, err
	}
	if rogueCA, err = ca("rogue CSCA"); err != nil {
		return nil, err
	}
	year := now.AddDate(1, 0, 0)
	if p.ds, _, err = signer(p.csca, "test Document Signer", now.AddDate(-1, 0, 0), year); err != nil {
		return nil, err
	}
	if p.expired, _, err = signer(p.csca, "expired Document Signer", now.AddDate(-3, 0, 0), now.AddDate(0, 0, -1)); err != nil {
		return nil, err
	}
	if p.revoked, revoked, err = signer(p.csca, "revoked Document Signer", now.AddDate(-1, 0, 0), year); err != nil {
		return nil, err
	}
	if p.rogue, _, err = signer(rogueCA, "test Document Signer", now.AddDate(-1, 0, 0), year); err != nil {
		return nil, err
	}
	crl, err := p.csca.CRL(now.AddDate(0, 0, -1), now.AddDate(0, 1, 0), revoked.Serial)
	if err != nil {
		return nil, err
	}
	for _, der := range [][]byte{p.csca.Cert, crl} {
		if _, err := p.store.LoadBytes(der); err != nil {
			return nil, err
		}
	}
	return p, nil
}

var (
	citizen = emulator.Person{
		ID: "092198012345", FullName: "Trần Đức Thắng", DateOfBirth: vncard.Date{Year: 1980, Month: 7, Day: 21}, Sex: "M",
		IssueDate: vncard.Date{Year: 2022, Month: 1, Day: 5}, ExpiryDate: vncard.Date{Year: 2040, Month: 7, Day: 21},
		Residence: "Số 5 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, Cần Thơ", Father: "Trần Văn Ơn", Mother: "Lê Thị Ngọc Ánh",
	}
	other = emulator.Person{
		ID: "001195012345", FullName: "Nguyễn Thị Thu Hà", DateOfBirth: vncard.Date{Year: 1995, Month: 3, Day: 8}, Sex: "F",
		IssueDate: vncard.Date{Year: 2021, Month: 4, Day: 10}, ExpiryDate: vncard.Date{Year: 2035, Month: 3, Day: 8},
	}
	challenge = []byte("city-001")
)

// mustCard issues p's card: EF.CardAccess announcing PACE (repeated in
// DG14) and the chip keys' DG14/DG15, under ds.
func mustCard(t testing.TB, p emulator.Person, chip emulator.ChipKeys, ds emulator.Signer) emulator.Files {
	t.Helper()
	files, err := emulator.Build(p, ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.AddPACE(files); err != nil {
		t.Fatal(err)
	}
	if err := emulator.AddChipKeys(files, chip, ds); err != nil {
		t.Fatal(err)
	}
	return files
}

// proofOf is what an edge sends for a card read at its desk: the files and,
// when the chip holds an AA key, its signature over challenge.
func proofOf(t testing.TB, files emulator.Files, chip emulator.ChipKeys, challenge []byte) *Proof {
	t.Helper()
	p := &Proof{CardAccess: files["CardAccess"], SOD: files["SOD"], DG1: files["DG1"], DG13: files["DG13"],
		DG14: files["DG14"], DG15: files["DG15"], Challenge: challenge}
	if chip.AA != nil {
		sig, err := emrtd.SignActiveAuthentication(chip.AA, challenge, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.AASignature = sig
	}
	return p
}

func mustChip(t testing.TB, ca, aa bool) emulator.ChipKeys {
	t.Helper()
	k, err := emulator.NewChipKeys(ca, aa)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyCase is one proof for Verify and what must come of it.
type verifyCase struct {
	name   string
	proof  func(t *testing.T) *Proof
	err    error  // nil, ErrMalformed or ErrNotAuthentic
	says   string // in the error
	aa     bool
	noteOn string // in a note, when verified
}

func TestVerify(t *testing.T) {
	pki := mustPKI(t)
	for _, tc := range verifyCases(t, pki) {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(tc.proof(t), pki.store, now)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				checkVerified(t, v, tc.aa)
				if tc.noteOn != "" && !strings.Contains(strings.Join(v.Notes, "; "), tc.noteOn) {
					t.Fatalf("notes %q, want one on %q", v.Notes, tc.noteOn)
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.err, tc.says)
			}
			other := map[error]error{ErrMalformed: ErrNotAuthentic, ErrNotAuthentic: ErrMalformed}[tc.err]
			if errors.Is(err, other) {
				t.Fatalf("err = %v is also %v", err, other)
			}
			switch {
			case tc.err == ErrMalformed && v != nil:
				t.Fatalf("malformed, yet a Verified: %+v", v)
			case tc.err == ErrNotAuthentic && (v == nil || len(v.Reasons) == 0 || v.AA):
				t.Fatalf("not authentic: Verified %+v", v)
			}
		})
	}
	good := proofOf(t, mustCard(t, citizen, emulator.ChipKeys{}, pki.ds), emulator.ChipKeys{}, challenge)
	if _, err := Verify(good, nil, now); !errors.Is(err, ErrNoTrustStore) {
		t.Fatalf("no store: %v", err)
	}
	if _, err := Verify(nil, pki.store, now); !errors.Is(err, ErrMalformed) {
		t.Fatalf("no proof: %v", err)
	}
	// A card past its expiry is still the citizen's card, with a note.
	expired := citizen
	ago := now.AddDate(0, -1, 0)
	expired.ExpiryDate = vncard.Date{Year: ago.Year(), Month: int(ago.Month()), Day: ago.Day()}
	v, err := Verify(proofOf(t, mustCard(t, expired, emulator.ChipKeys{}, pki.ds), emulator.ChipKeys{}, challenge), pki.store, now)
	if err != nil || !strings.Contains(strings.Join(v.Notes, "; "), "the card expired on") {
		t.Fatalf("expired card: %v, notes %q", err, v.Notes)
	}
}

// verifyCases are the proofs TestVerify checks, made under pki.
func verifyCases(t *testing.T, pki *testPKI) []verifyCase {
	chip := mustChip(t, true, true) // as `xanode card make` makes it: CA, RSA-2048 AA
	ecAA, err := emulator.NewAAKey("brainpoolP256r1")
	if err != nil {
		t.Fatal(err)
	}
	ecChip := emulator.ChipKeys{AA: ecAA}
	caOnly := emulator.ChipKeys{CA: chip.CA}
	good := mustCard(t, citizen, chip, pki.ds)
	return []verifyCase{
		{"good, with AA", func(t *testing.T) *Proof { return proofOf(t, good, chip, challenge) }, nil, "", true, ""},
		{"good, ECDSA AA", func(t *testing.T) *Proof {
			return proofOf(t, mustCard(t, citizen, ecChip, pki.ds), ecChip, challenge)
		}, nil, "", true, ""},
		{"good, card without DG15", func(t *testing.T) *Proof {
			return proofOf(t, mustCard(t, citizen, caOnly, pki.ds), caOnly, challenge)
		}, nil, "", false, "no active authentication"},
		{"tampered DG13", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			d, _ := vncard.ParseDG13(p.DG13)
			d.Residence = "Số 1 Đường Khác, Phường Tân An, Quận Ninh Kiều, Cần Thơ"
			p.DG13, _ = d.Marshal()
			return p
		}, ErrNotAuthentic, "data group hash does not match EF.SOD: DG13", false, ""},
		{"wrong challenge: another request's signature replayed", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, []byte("city-000"))
			p.Challenge = challenge
			return p
		}, ErrNotAuthentic, "active authentication failed", false, ""},
		{"DG1 of another card", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.DG1 = mustCard(t, other, emulator.ChipKeys{}, pki.ds)["DG1"]
			return p
		}, ErrNotAuthentic, "DG1's document number 195012345 is not the last 9 digits of DG13's ID 092198012345", false, ""},
		{"EF.SOD by an untrusted Document Signer", func(t *testing.T) *Proof {
			return proofOf(t, mustCard(t, citizen, chip, pki.rogue), chip, challenge)
		}, ErrNotAuthentic, "not trusted", false, ""},
		{"expired Document Signer certificate", func(t *testing.T) *Proof {
			return proofOf(t, mustCard(t, citizen, chip, pki.expired), chip, challenge)
		}, ErrNotAuthentic, `Document Signer certificate "CN=expired Document Signer,C=VN" is valid from`, false, ""},
		{"revoked Document Signer certificate", func(t *testing.T) *Proof {
			return proofOf(t, mustCard(t, citizen, chip, pki.revoked), chip, challenge)
		}, ErrNotAuthentic, "was revoked", false, ""},
		{"DG15 left out", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.DG15, p.AASignature = nil, nil
			return p
		}, ErrNotAuthentic, "EF.SOD lists DG15, which the proof leaves out", false, ""},
		{"DG14 left out", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.DG14 = nil
			return p
		}, ErrNotAuthentic, "EF.SOD lists DG14", false, ""},
		{"DG15 without a signature", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.AASignature = nil
			return p
		}, ErrNotAuthentic, "carries no signature", false, ""},
		{"signature by another chip", func(t *testing.T) *Proof {
			return proofOf(t, good, mustChip(t, false, true), challenge)
		}, ErrNotAuthentic, "active authentication failed", false, ""},
		{"EF.CardAccess not in DG14", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.CardAccess, _ = (&emrtd.SecurityInfos{PACE: []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)}}).Marshal()
			return p
		}, ErrNotAuthentic, "EF.CardAccess announces", false, ""},
		{"EF.CardAccess left out", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.CardAccess = nil
			return p
		}, ErrNotAuthentic, "which EF.CardAccess does not", false, ""},
		{"signed, but DG13's ID is not DG1's", func(t *testing.T) *Proof {
			files := mustCard(t, citizen, chip, pki.ds)
			d, _ := vncard.ParseDG13(files["DG13"])
			d.ID = "092198012346"
			files["DG13"], _ = d.Marshal()
			if err := emulator.Seal(files, pki.ds); err != nil {
				t.Fatal(err)
			}
			return proofOf(t, files, chip, challenge)
		}, ErrNotAuthentic, "not the last 9 digits of DG13's ID 092198012346", false, ""},
		{"signed, but the dates of birth differ", func(t *testing.T) *Proof {
			files := mustCard(t, citizen, chip, pki.ds)
			d, _ := vncard.ParseDG13(files["DG13"])
			d.DateOfBirth = vncard.Date{Year: 1980, Month: 7, Day: 22}
			files["DG13"], _ = d.Marshal()
			if err := emulator.Seal(files, pki.ds); err != nil {
				t.Fatal(err)
			}
			return proofOf(t, files, chip, challenge)
		}, ErrNotAuthentic, "DG1's date of birth 800721 differs from DG13's 1980-07-22", false, ""},
		{"DG13 not DG13", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.DG13 = p.DG1
			return p
		}, ErrMalformed, "DG13", false, ""},
		{"EF.SOD not EF.SOD", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.SOD = []byte{0x77, 0x03, 0x30, 0x01, 0x00}
			return p
		}, ErrMalformed, "EF.SOD", false, ""},
		{"DG15 not a key", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.DG15 = []byte{0x6F, 0x02, 0x30, 0x00}
			return p
		}, ErrMalformed, "DG15", false, ""},
		{"short challenge", func(t *testing.T) *Proof {
			p := proofOf(t, good, chip, challenge)
			p.Challenge = challenge[:4]
			return p
		}, ErrMalformed, "challenge of 4 bytes", false, ""},
	}
}

// checkVerified checks what a good proof of citizen's card establishes.
func checkVerified(t *testing.T, v *Verified, aa bool) {
	t.Helper()
	d := v.DG13
	if v.ID != citizen.ID || v.AA != aa || len(v.Reasons) != 0 || d == nil || d.FullName != citizen.FullName ||
		d.DateOfBirth != citizen.DateOfBirth || d.Residence != citizen.Residence || d.Father != citizen.Father || d.Sex != "Nam" {
		t.Fatalf("Verified %+v, DG13 %+v", v, d)
	}
	m := v.MRZ
	if m == nil || m.DocumentNumber != citizen.ID[3:] || m.DateOfBirth != "800721" || m.DateOfExpiry != "400721" || m.Surname != "TRAN" {
		t.Fatalf("MRZ %+v", m)
	}
	if v.CSCA != "CN=test CSCA,C=VN" || v.DocumentSigner != "CN=test Document Signer,C=VN" {
		t.Fatalf("chain %q, %q", v.CSCA, v.DocumentSigner)
	}
}

// FuzzVerify changes a good proof's encoding at random and verifies it:
// never a panic, and whatever verifies carries the card's own signed
// files and the challenge. (EF.CardAccess may differ in the order or
// repetition of its SecurityInfos, and a signature has more than one
// valid form, n - S or ECDSA's (r, n - s).) Minimizing an input verifies
// it many times over: fuzz with -fuzzminimizetime 1x.
func FuzzVerify(f *testing.F) {
	pki := mustPKI(f)
	chip := mustChip(f, true, true)
	want := proofOf(f, mustCard(f, citizen, chip, pki.ds), chip, challenge)
	good, err := want.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			return
		}
		v, err := Verify(p, pki.store, now)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotAuthentic) {
				t.Fatalf("error %v is neither ErrMalformed nor ErrNotAuthentic", err)
			}
			return
		}
		for _, pair := range [][2][]byte{{p.SOD, want.SOD}, {p.DG1, want.DG1}, {p.DG13, want.DG13}, {p.DG14, want.DG14},
			{p.DG15, want.DG15}, {p.Challenge, want.Challenge}} {
			if !bytes.Equal(pair[0], pair[1]) {
				t.Fatalf("verified %+v from a changed file %X", v, pair[0])
			}
		}
	})
}
