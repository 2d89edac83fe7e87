package trust

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/trust/trusttest"
)

// mlSigner issues a Master List Signer certificate under ca, with the
// ICAO extended key usage when usage is set.
func mlSigner(t testing.TB, ca *trusttest.Authority, cn string, usage bool) *trusttest.Authority {
	t.Helper()
	tmpl := trusttest.Template{Subject: pkix.Name{Country: []string{"VN"}, CommonName: cn}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(2, 0, 0)}
	if usage {
		tmpl.ExtKeyUsage = []asn1.ObjectIdentifier{trusttest.OIDMasterListSigning}
	}
	mls, err := ca.Issue(tmpl, mustKey(t, "P-256"))
	if err != nil {
		t.Fatal(err)
	}
	return mls
}

func mustCert(t testing.TB, der []byte) *Certificate {
	t.Helper()
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestParseMasterListSignedBy: a master list counts only when its signer
// is a configured certificate, or a Master List Signer that one of them
// issued and signed.
func TestParseMasterListSignedBy(t *testing.T) {
	vn := mustPKI(t, pkiSpec{cscaKey: "brainpoolP512r1", cscaExplicit: true, dsKey: "brainpoolP256r1"})
	other := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	stranger := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	good := mlSigner(t, vn.csca, "Master List Signer", true)
	noUsage := mlSigner(t, vn.csca, "Certificate without the usage", false)
	outsider := mlSigner(t, stranger.csca, "Someone else's signer", true)
	expired, err := vn.csca.Issue(trusttest.Template{Subject: pkix.Name{CommonName: "Old signer"}, NotBefore: now.AddDate(-5, 0, 0),
		NotAfter: now.AddDate(-1, 0, 0), ExtKeyUsage: []asn1.ObjectIdentifier{trusttest.OIDMasterListSigning}}, mustKey(t, "P-256"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(signer *trusttest.Authority) []byte {
		ml, err := trusttest.MasterList(signer, vn.csca.Cert, other.csca.Cert)
		if err != nil {
			t.Fatal(err)
		}
		return ml
	}
	altered := list(good)
	i := strings.Index(string(altered), string(other.csca.Cert[40:60]))
	altered[i] ^= 1
	// A list that does not hold its signer's CSCA is fine when the signer
	// is configured: the configuration, not the list, says who may sign.
	foreign, err := trusttest.MasterList(good, other.csca.Cert)
	if err != nil {
		t.Fatal(err)
	}

	cscaConfigured := []*Certificate{mustCert(t, vn.csca.Cert)}
	for _, tc := range []struct {
		name    string
		ml      []byte
		signers []*Certificate
		cscas   int
		refuse  string // part of the error; "" when trusted
	}{
		{"the configured signer itself", list(good), []*Certificate{mustCert(t, good.Cert)}, 2, ""},
		{"a signer issued by a configured CSCA", list(good), cscaConfigured, 2, ""},
		{"among several configured", list(good), []*Certificate{mustCert(t, stranger.csca.Cert), mustCert(t, vn.csca.Cert)}, 2, ""},
		{"a list without its own CSCA", foreign, cscaConfigured, 1, ""},
		{"an untrusted signer", list(outsider), cscaConfigured, 0, `"CN=Someone else's signer,C=VN"`},
		{"no signer configured", list(good), nil, 0, "0 configured"},
		{"issued by the CSCA without the usage", list(noUsage), cscaConfigured, 0, "not a Master List Signer certificate"},
		{"a Document Signer signing a list", list(vn.ds), cscaConfigured, 0, "not a Master List Signer certificate"},
		{"configured but expired", list(expired), cscaConfigured, 0, "not at"},
		{"an altered list", altered, cscaConfigured, 0, "master list"},
		{"a configured Document Signer may not issue", list(good), []*Certificate{mustCert(t, vn.ds.Cert)}, 0, "nor issued by one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ml, err := ParseMasterListSignedBy(tc.ml, tc.signers, now)
			if tc.refuse == "" {
				if err != nil || len(ml.CSCAs) != tc.cscas {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("trusted a list signed by %q", ml.Signer.Subject)
			}
			if !strings.Contains(err.Error(), tc.refuse) {
				t.Errorf("error %q does not say %q", err, tc.refuse)
			}
			if tc.name != "an altered list" && !errors.Is(err, ErrUntrusted) {
				t.Errorf("error %v is not ErrUntrusted", err)
			}
		})
	}
}

func FuzzParseMasterListSignedBy(f *testing.F) {
	vn := mustPKI(f, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	signers := []*Certificate{mustCert(f, vn.csca.Cert)}
	ml, err := trusttest.MasterList(mlSigner(f, vn.csca, "MLS", true), vn.csca.Cert)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ml)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseMasterListSignedBy(b, signers, now)
		if err == nil && (l.Signer == nil || l.Signer.CheckSignatureFrom(signers[0]) != nil) {
			t.Fatal("a master list not signed under the configured CSCA was trusted")
		}
	})
}

// TestCRLIssuer: a CRL counts only when a CSCA in the store signed it.
func TestCRLIssuer(t *testing.T) {
	vn := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	impostor := mustPKI(t, pkiSpec{cscaKey: "P-256", dsKey: "P-256"})
	other := mustPKI(t, pkiSpec{cscaKey: "P-384", dsKey: "P-256"}) // another name
	s := storeOf(t, vn.csca.Cert)
	for name, tc := range map[string]struct {
		ca   *trusttest.Authority
		want bool
	}{"the CSCA's own": {vn.csca, true}, "same name, another key": {impostor.csca, false}, "another CSCA's": {other.csca, false}} {
		der, err := tc.ca.CRL(now, now.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		crl, err := ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		if name != "another CSCA's" {
			crl.RawIssuer, crl.Issuer = mustCert(t, vn.csca.Cert).RawSubject, mustCert(t, vn.csca.Cert).Subject
		}
		got, err := s.CRLIssuer(crl)
		if (err == nil) != tc.want || (err != nil && !errors.Is(err, ErrUntrusted)) || (err == nil && !bytes.Equal(got.Raw, vn.csca.Cert)) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
