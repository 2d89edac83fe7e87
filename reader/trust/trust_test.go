package trust

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust/trusttest"
)

var now = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

var dataGroups = map[int][]byte{1: []byte("\x61\x03\x5F\x1F\x00"), 13: []byte("\x6D\x02\x30\x00")}

func mustKey(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	k, err := trusttest.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type pki struct {
	csca, ds *trusttest.Authority
}

type pkiSpec struct {
	cscaKey, dsKey string
	cscaExplicit   bool
	dsExplicit     bool
	cscaHash       crypto.Hash
	pss            bool
}

func mustPKI(t testing.TB, s pkiSpec) pki {
	t.Helper()
	csca, err := trusttest.NewCA(trusttest.Template{
		Subject: pkix.Name{Country: []string{"VN"}, CommonName: "CSCA " + s.cscaKey}, NotBefore: now.AddDate(-2, 0, 0),
		NotAfter: now.AddDate(13, 0, 0), Explicit: s.cscaExplicit, Hash: s.cscaHash, PSS: s.pss,
	}, mustKey(t, s.cscaKey))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := csca.Issue(trusttest.Template{
		Subject: pkix.Name{Country: []string{"VN"}, CommonName: "DS " + s.dsKey}, NotBefore: now.AddDate(-1, 0, 0),
		NotAfter: now.AddDate(10, 0, 0), Explicit: s.dsExplicit, Hash: s.cscaHash, PSS: s.pss,
	}, mustKey(t, s.dsKey))
	if err != nil {
		t.Fatal(err)
	}
	return pki{csca: csca, ds: ds}
}

func mustSOD(t testing.TB, ds *trusttest.Authority, dgs map[int][]byte) []byte {
	t.Helper()
	b, err := sod.Sign(dgs, ds.Key, ds.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storeOf(t testing.TB, certs ...[]byte) *Store {
	t.Helper()
	s := NewStore()
	for _, c := range certs {
		if _, err := s.LoadBytes(c); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestPassiveAuthenticationAlgorithms runs the whole check for each kind of
// PKI a country may run, Vietnam's (brainpoolP512r1 given as explicit
// parameters, SHA-512) among them.
func TestPassiveAuthenticationAlgorithms(t *testing.T) {
	specs := map[string]pkiSpec{
		"P-256 → P-256": {cscaKey: "P-256", dsKey: "P-256"},
		"P-384 → P-384": {cscaKey: "P-384", dsKey: "P-384", cscaHash: crypto.SHA384},
		"P-521 → P-256": {cscaKey: "P-521", dsKey: "P-256", cscaHash: crypto.SHA512},
		"brainpoolP512r1 explicit → brainpoolP256r1":    {cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "brainpoolP256r1", cscaHash: crypto.SHA512},
		"brainpoolP512r1 explicit → P-256":              {cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "P-256", cscaHash: crypto.SHA512},
		"brainpoolP384r1 → brainpoolP384r1 explicit":    {cscaKey: "brainpoolP384r1", dsKey: "brainpoolP384r1", dsExplicit: true, cscaHash: crypto.SHA384},
		"brainpoolP256r1 explicit → brainpoolP256r1 ex": {cscaKey: "brainpoolP256r1", cscaExplicit: true, dsKey: "brainpoolP256r1", dsExplicit: true},
		"RSA PKCS#1 v1.5 → RSA":                         {cscaKey: "RSA-2048", dsKey: "RSA-2048"},
		"RSA-PSS → RSA-PSS":                             {cscaKey: "RSA-3072", dsKey: "RSA-2048", pss: true, cscaHash: crypto.SHA512},
		"RSA → brainpoolP256r1":                         {cscaKey: "RSA-2048", dsKey: "brainpoolP256r1"},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPKI(t, spec)
			if _, err := x509.ParseCertificate(p.csca.Cert); spec.cscaExplicit && err == nil {
				t.Log("note: crypto/x509 reads this CSCA too")
			}
			s := storeOf(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.csca.Cert}))
			r := s.Verify(mustSOD(t, p.ds, dataGroups), dataGroups, now)
			if !r.Verified || len(r.Reasons) != 0 {
				t.Fatalf("not verified: %q", r.Reasons)
			}
			if r.CSCA != "CN=CSCA "+spec.cscaKey+",C=VN" || r.DocumentSigner != "CN=DS "+spec.dsKey+",C=VN" {
				t.Fatalf("chain %q → %q", r.DocumentSigner, r.CSCA)
			}
			// Another CSCA of the same name does not verify the chain.
			other := mustPKI(t, spec)
			if r := storeOf(t, other.csca.Cert).Verify(mustSOD(t, p.ds, dataGroups), dataGroups, now); r.Verified ||
				!strings.Contains(strings.Join(r.Reasons, ";"), "no CSCA in the trust store") {
				t.Fatalf("impostor CSCA: %+v", r)
			}
		})
	}
}

func TestVietnameseCSCAIsExplicitBrainpool(t *testing.T) {
	p := mustPKI(t, pkiSpec{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "brainpoolP256r1", cscaHash: crypto.SHA512})
	if _, err := x509.ParseCertificate(p.csca.Cert); err == nil {
		t.Fatal("crypto/x509 parsed an explicit brainpool CSCA: the test does not test what it says")
	}
	c, err := ParseCertificate(p.csca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 || len(c.SubjectKeyID) != 20 || c.CheckSignatureFrom(c) != nil {
		t.Fatalf("parsed CSCA %+v", c)
	}
}

func TestPassiveAuthenticationFailures(t *testing.T) {
	p := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	good := mustSOD(t, p.ds, dataGroups)
	issueDS := func(tmpl trusttest.Template) *trusttest.Authority {
		tmpl.Subject = pkix.Name{CommonName: "DS"}
		a, err := p.csca.Issue(tmpl, mustKey(t, "P-256"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	expired := issueDS(trusttest.Template{NotBefore: now.AddDate(-11, 0, 0), NotAfter: now.AddDate(0, 0, -1)})
	future := issueDS(trusttest.Template{NotBefore: now.AddDate(0, 0, 1), NotAfter: now.AddDate(5, 0, 0)})
	noSig := issueDS(trusttest.Template{NotBefore: now.AddDate(-1, 0, 0), KeyUsage: x509.KeyUsageKeyEncipherment})
	critical := issueDS(trusttest.Template{NotBefore: now.AddDate(-1, 0, 0), Extensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}})
	changed := map[int][]byte{1: dataGroups[1], 13: []byte("\x6D\x02\x30\x01")}
	extra := map[int][]byte{1: dataGroups[1], 13: dataGroups[13], 2: []byte("\x75\x00")}
	// EF.SOD signed by another key than its certificate's.
	wrongKey := &trusttest.Authority{Cert: p.ds.Cert, Key: mustKey(t, "P-256")}
	other := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	// A Document Signer certificate whose CSCA signature was changed.
	broken := &trusttest.Authority{Cert: append([]byte(nil), p.ds.Cert...), Key: p.ds.Key}
	broken.Cert[len(broken.Cert)-1] ^= 1
	tests := []struct {
		name  string
		store *Store
		sod   []byte
		dgs   map[int][]byte
		at    time.Time
		want  string
	}{
		{"changed DG13", storeOf(t, p.csca.Cert), good, changed, now, "DG13"},
		{"DG2 not in EF.SOD", storeOf(t, p.csca.Cert), good, extra, now, "no hash for the data group in EF.SOD: DG2"},
		{"nothing read", storeOf(t, p.csca.Cert), good, nil, now, "no data group was read"},
		{"empty store", NewStore(), good, dataGroups, now, "holds no CSCA"},
		{"other country", storeOf(t, other.csca.Cert), good, dataGroups, now, "no CSCA in the trust store"},
		{"DS expired", storeOf(t, p.csca.Cert), mustSOD(t, expired, dataGroups), dataGroups, now, "Document Signer certificate \"CN=DS\" is valid from"},
		{"DS not yet valid", storeOf(t, p.csca.Cert), mustSOD(t, future, dataGroups), dataGroups, now, "not at 2026-05-01"},
		{"CSCA expired at reading", storeOf(t, p.csca.Cert), good, dataGroups, now.AddDate(14, 0, 0), "CSCA certificate"},
		{"DS key usage", storeOf(t, p.csca.Cert), mustSOD(t, noSig, dataGroups), dataGroups, now, "key usage"},
		{"DS critical extension", storeOf(t, p.csca.Cert), mustSOD(t, critical, dataGroups), dataGroups, now, "unknown critical extension 1.2.3.4"},
		{"signed by another key", storeOf(t, p.csca.Cert), mustSOD(t, wrongKey, dataGroups), dataGroups, now, "not signed by its Document Signer"},
		{"DS certificate signature", storeOf(t, p.csca.Cert), mustSOD(t, broken, dataGroups), dataGroups, now, "signature does not verify with the CSCA"},
		{"garbage", storeOf(t, p.csca.Cert), []byte{0x77, 0x01, 0x00}, dataGroups, now, "EF.SOD cannot be read"},
	}
	for _, tc := range tests {
		r := tc.store.Verify(tc.sod, tc.dgs, tc.at)
		if r.Verified || !strings.Contains(strings.Join(r.Reasons, "; "), tc.want) {
			t.Errorf("%s: verified=%v reasons %q, want one with %q", tc.name, r.Verified, r.Reasons, tc.want)
		}
	}
}

func TestRevocation(t *testing.T) {
	p := mustPKI(t, pkiSpec{cscaKey: "brainpoolP256r1", cscaExplicit: true, dsKey: "P-256"})
	raw := mustSOD(t, p.ds, dataGroups)
	crl := func(a *trusttest.Authority, next time.Time, serials ...*big.Int) []byte {
		b, err := a.CRL(now.AddDate(0, -1, 0), next, serials...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	revoked := crl(p.csca, now.AddDate(0, 1, 0), big.NewInt(7), p.ds.Serial)
	r := storeOf(t, revoked, p.csca.Cert).Verify(raw, dataGroups, now)
	if r.Verified || !strings.Contains(strings.Join(r.Reasons, ";"), "was revoked") {
		t.Fatalf("revoked DS: %+v", r)
	}
	r = storeOf(t, p.csca.Cert, crl(p.csca, now.AddDate(0, 1, 0), big.NewInt(7))).Verify(raw, dataGroups, now)
	if !r.Verified || len(r.Notes) != 0 {
		t.Fatalf("CRL without the DS: %+v", r)
	}
	r = storeOf(t, p.csca.Cert, crl(p.csca, now.AddDate(0, 0, -1))).Verify(raw, dataGroups, now)
	if !r.Verified || !strings.Contains(strings.Join(r.Notes, ";"), "due for renewal") {
		t.Fatalf("stale CRL: %+v", r)
	}
	// A CRL under the CSCA's name signed by someone else is ignored.
	impostor, err := trusttest.NewCA(trusttest.Template{Subject: p.csca.Subject}, mustKey(t, "P-256"))
	if err != nil {
		t.Fatal(err)
	}
	r = storeOf(t, p.csca.Cert, crl(impostor, now.AddDate(0, 1, 0), p.ds.Serial)).Verify(raw, dataGroups, now)
	if !r.Verified || !strings.Contains(strings.Join(r.Notes, ";"), "ignored") {
		t.Fatalf("forged CRL: %+v", r)
	}
	r = storeOf(t, p.csca.Cert).Verify(raw, dataGroups, now)
	if !r.Verified || !strings.Contains(strings.Join(r.Notes, ";"), "revocation not checked") {
		t.Fatalf("no CRL: %+v", r)
	}
}

func TestChainCache(t *testing.T) {
	p := mustPKI(t, pkiSpec{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "brainpoolP256r1", cscaHash: crypto.SHA512})
	s := storeOf(t, p.csca.Cert)
	raw := mustSOD(t, p.ds, dataGroups)
	for i := 0; i < 2; i++ {
		if r := s.Verify(raw, dataGroups, now); !r.Verified {
			t.Fatal(r.Reasons)
		}
	}
	if len(s.chains) != 1 {
		t.Fatalf("%d cached chains", len(s.chains))
	}
	// A cached chain still gets its validity checked at each reading.
	if r := s.Verify(raw, dataGroups, now.AddDate(20, 0, 0)); r.Verified {
		t.Fatal("cached chain verified past its validity")
	}
}

func TestLoad(t *testing.T) {
	p := mustPKI(t, pkiSpec{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "P-256", cscaHash: crypto.SHA512})
	q := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	crl, _ := p.csca.CRL(now, now.AddDate(0, 1, 0))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pemBoth := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.csca.Cert}), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})...)
	write("vn.pem", pemBoth)
	write("sub/other.der", q.csca.Cert)
	write("README.md", []byte("not a certificate"))
	write("DG1", []byte{0x61, 0x00})
	write("ds.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ds.Cert}))
	s := NewStore()
	if n, err := s.Load(dir); err != nil || n != 2 || len(s.crls) != 1 {
		t.Fatalf("Load(dir) = %d, %v; %d CRLs", n, err, len(s.crls))
	}
	if n, err := s.Load(filepath.Join(dir, "vn.pem")); err != nil || n != 0 {
		t.Fatalf("loading again = %d, %v", n, err)
	}
	for name, b := range map[string][]byte{
		"ds.pem":   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ds.Cert}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}),
		"junk.der": []byte("junk"),
		"none.pem": []byte("-----BEGIN nothing"),
	} {
		if _, err := NewStore().Load(write("bad/"+name, b)); err == nil {
			t.Errorf("%s loaded", name)
		}
	}
	if _, err := NewStore().Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing path loaded")
	}
	if _, err := NewStore().Load(t.TempDir()); err == nil {
		t.Error("empty folder loaded")
	}
	if _, err := NewStore().Load(filepath.Join(dir, "bad")); err == nil {
		t.Error("folder of bad files loaded")
	}
	if _, err := NewStore().LoadBytes(p.ds.Cert); !errors.Is(err, ErrNotCSCA) {
		t.Errorf("DS as CSCA: %v", err)
	}
}

func masterListSigner(t testing.TB, csca *trusttest.Authority) *trusttest.Authority {
	t.Helper()
	mls, err := csca.Issue(trusttest.Template{Subject: pkix.Name{Country: []string{"VN"}, CommonName: "Master List Signer"}}, mustKey(t, "P-256"))
	if err != nil {
		t.Fatal(err)
	}
	return mls
}

func TestMasterList(t *testing.T) {
	vn := mustPKI(t, pkiSpec{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "brainpoolP256r1", cscaHash: crypto.SHA512})
	other := mustPKI(t, pkiSpec{cscaKey: "RSA-2048", dsKey: "RSA-2048"})
	ml, err := trusttest.MasterList(masterListSigner(t, vn.csca), vn.csca.Cert, other.csca.Cert, []byte{0x30, 0x03, 0x02, 0x01, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseMasterList(ml)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.CSCAs) != 2 || len(parsed.Skipped) != 1 || parsed.Signer.Subject != "CN=Master List Signer,C=VN" {
		t.Fatalf("master list: %d CSCAs, skipped %v, signer %q", len(parsed.CSCAs), parsed.Skipped, parsed.Signer.Subject)
	}
	path := filepath.Join(t.TempDir(), "icao.ml")
	os.WriteFile(path, ml, 0o644)
	s := NewStore()
	if n, err := s.Load(path); err != nil || n != 2 {
		t.Fatalf("Load(master list) = %d, %v", n, err)
	}
	for _, p := range []pki{vn, other} {
		if r := s.Verify(mustSOD(t, p.ds, dataGroups), dataGroups, now); !r.Verified {
			t.Fatalf("%s: %q", r.DocumentSigner, r.Reasons)
		}
	}
	// A changed list no longer matches its signature.
	i := strings.Index(string(ml), string(other.csca.Cert[40:60]))
	forged := append([]byte(nil), ml...)
	forged[i] ^= 1
	if _, err := ParseMasterList(forged); err == nil {
		t.Fatal("forged master list accepted")
	}
	// A list whose signer no CSCA in it issued is refused.
	stray, _ := trusttest.MasterList(masterListSigner(t, vn.csca), other.csca.Cert)
	if _, err := ParseMasterList(stray); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("signer outside the list: %v", err)
	}
}

func FuzzParseCertificate(f *testing.F) {
	for _, spec := range []pkiSpec{{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "P-256"}, {cscaKey: "RSA-1024", dsKey: "RSA-1024", pss: true}} {
		p := mustPKI(f, spec)
		f.Add(p.csca.Cert)
		f.Add(p.ds.Cert)
		crl, _ := p.csca.CRL(now, now.AddDate(0, 1, 0), big.NewInt(3))
		f.Add(crl)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseCertificate(b); err == nil {
			_ = c.CheckSignatureFrom(c)
			_ = c.mayIssue()
		}
		if crl, err := ParseCRL(b); err == nil {
			_ = crl.Issuer
		}
		_, _ = NewStore().LoadBytes(b)
	})
}

func FuzzParseMasterList(f *testing.F) {
	vn := mustPKI(f, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	ml, err := trusttest.MasterList(masterListSigner(f, vn.csca), vn.csca.Cert)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ml)
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, err := ParseMasterList(b); err == nil && l.Signer == nil {
			t.Fatal("master list without a signer accepted")
		}
	})
}

// FuzzVerify feeds arbitrary EF.SOD bytes to passive authentication: it
// must never report them verified unless they are the genuine ones.
func FuzzVerify(f *testing.F) {
	p := mustPKI(f, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	s := storeOf(f, p.csca.Cert)
	good := mustSOD(f, p.ds, dataGroups)
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := s.Verify(b, dataGroups, now)
		if r.Verified && string(b) != string(good) {
			// Re-encodings of the same signed content are harmless only
			// if the signature still verifies, which it did.
			if _, err := sod.Parse(b); err != nil {
				t.Fatal("verified an EF.SOD that does not parse")
			}
		}
	})
}
