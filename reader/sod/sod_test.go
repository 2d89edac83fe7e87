package sod

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/keys"
)

func selfSigned(t testing.TB, key crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var testGroups = map[int][]byte{
	1:  []byte("\x61\x03\x5F\x1F\x00"),
	2:  bytes.Repeat([]byte{0x75}, 3000),
	13: []byte("\x6D\x00"),
}

func TestSignParseVerify(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
	}{{"ECDSA P-256", ec}, {"RSA", rsaKey}} {
		t.Run(tc.name, func(t *testing.T) {
			ds := selfSigned(t, tc.key, "Test Document Signer")
			b, err := Sign(testGroups, tc.key, ds.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != 0x77 {
				t.Fatalf("EF.SOD starts with %02X", b[0])
			}
			s, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if s.HashAlgorithm != crypto.SHA256 || len(s.Hashes) != 3 || len(s.Certificates) != 1 ||
				!bytes.Equal(s.Certificates[0], ds.Raw) || s.Signer.Serial.Int64() != 42 || !bytes.Equal(s.Signer.Issuer, ds.RawIssuer) {
				t.Fatalf("Parse = %+v", s)
			}
			for n, content := range testGroups {
				if err := s.CheckDataGroup(n, content); err != nil {
					t.Errorf("DG%d: %v", n, err)
				}
			}
			if err := s.CheckDataGroup(13, []byte("\x6D\x01\x00")); !errors.Is(err, ErrHashMismatch) {
				t.Errorf("changed DG13: %v", err)
			}
			if err := s.CheckDataGroup(14, nil); !errors.Is(err, ErrNoHash) {
				t.Errorf("absent DG14: %v", err)
			}
			if err := verify(s, ds.PublicKey); err != nil {
				t.Fatalf("verify: %v", err)
			}
			otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err := verify(s, otherKey.Public()); err == nil {
				t.Fatal("verified with another key")
			}
		})
	}
}

// verify is what passive authentication does with a parsed SOD: the signed
// attributes against the content, then the signature with the signer's key.
func verify(s *SOD, pub crypto.PublicKey) error {
	if err := s.CheckDigest(); err != nil {
		return err
	}
	return keys.Verify(pub, s.Signer.SignatureAlgorithm, s.Signer.DigestAlgorithm, s.Signer.SignedAttrs, s.Signer.Signature)
}

func TestVerifyDetectsTampering(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ds := selfSigned(t, key, "DS")
	b, err := Sign(testGroups, key, ds.Raw)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Parse(b)
	// A changed hash in the security object no longer matches messageDigest.
	i := bytes.Index(b, s.Hashes[13])
	forged := append([]byte(nil), b...)
	forged[i] ^= 1
	fs, err := Parse(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(fs, ds.PublicKey); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged hash: %v", err)
	}
	// A changed signature fails the signature check itself.
	s.Signer.Signature = append([]byte(nil), s.Signer.Signature...)
	s.Signer.Signature[len(s.Signer.Signature)-1] ^= 1
	if err := verify(s, ds.PublicKey); !errors.Is(err, keys.ErrSignature) {
		t.Fatalf("forged signature: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, _ := Sign(testGroups, key, selfSigned(t, key, "DS").Raw)
	dummy, err := os.ReadFile("../testdata/vicc-sample/SOD")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"vicc dummy SOD", dummy},
		{"truncated", good[:len(good)-10]},
		{"trailing", append(append([]byte(nil), good...), 0)},
		{"wrong outer tag", append([]byte{0x78}, good[1:]...)},
		{"not a ContentInfo", []byte{0x77, 0x03, 0x02, 0x01, 0x00}},
	} {
		if _, err := Parse(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if _, err := Sign(map[int][]byte{}, key, selfSigned(t, key, "DS").Raw); err == nil {
		t.Error("signed no data groups")
	}
	if _, err := Sign(map[int][]byte{17: nil}, key, selfSigned(t, key, "DS").Raw); err == nil {
		t.Error("signed DG17")
	}
}

func FuzzParse(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, err := Sign(testGroups, key, selfSigned(f, key, "DS").Raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{0x77, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		for n := range s.Hashes {
			_ = s.CheckDataGroup(n, b)
		}
		_ = s.CheckDigest()
		_, _ = ParseSignedData(b, OIDLDSSecurityObject)
	})
}
