package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"
)

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return v
}

// TestBrainpoolCoefficients checks the a and b derived from the brainpool
// package's arithmetic against RFC 5639 section 3, and that a third point
// (3G) satisfies the equation too.
func TestBrainpoolCoefficients(t *testing.T) {
	rfc := map[string][2]string{
		"brainpoolP256r1": {"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
			"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"},
		"brainpoolP384r1": {"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
			"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11"},
		"brainpoolP512r1": {"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
			"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723"},
	}
	for name, ab := range rfc {
		c, ok := CurveByName(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		if c.A.Cmp(hexInt(t, ab[0])) != 0 || c.B.Cmp(hexInt(t, ab[1])) != 0 {
			t.Errorf("%s: a = %X, b = %X", name, c.A, c.B)
		}
	}
	for _, c := range Curves() {
		p := c.Params()
		x, y := c.ScalarBaseMult([]byte{3})
		if rhs(p.P, c.A, c.B, x).Cmp(new(big.Int).Exp(y, big.NewInt(2), p.P)) != 0 {
			t.Errorf("%s: 3G is not on y² = x³ + ax + b", c.Name)
		}
		if got, ok := CurveByOID(c.OID); !ok || got != c {
			t.Errorf("%s: CurveByOID", c.Name)
		}
		if c.ParameterID != 0 {
			if got, ok := CurveByParameterID(c.ParameterID); !ok || got != c {
				t.Errorf("%s: CurveByParameterID(%d)", c.Name, c.ParameterID)
			}
		}
	}
	if c, _ := CurveByParameterID(13); c.Name != "brainpoolP256r1" {
		t.Errorf("parameter ID 13 is %s", c.Name)
	}
}

func TestECKeysNamedAndExplicit(t *testing.T) {
	for _, c := range Curves() {
		for _, explicit := range []bool{false, true} {
			k, err := ecdsa.GenerateKey(c.Curve, rand.Reader)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			der, err := MarshalPublicKey(&k.PublicKey, explicit)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			pub, err := ParsePublicKey(der)
			if err != nil {
				t.Fatalf("%s explicit=%v: %v", c.Name, explicit, err)
			}
			ec, ok := pub.(*ecdsa.PublicKey)
			if !ok || ec.Curve != c.Curve || ec.X.Cmp(k.X) != 0 || ec.Y.Cmp(k.Y) != 0 {
				t.Fatalf("%s explicit=%v: parsed %+v", c.Name, explicit, pub)
			}
			if c.Name == "P-256" && !explicit {
				// crypto/x509 agrees on what a named-curve key looks like.
				if _, err := x509.ParsePKIXPublicKey(der); err != nil {
					t.Fatalf("x509 reads our P-256 key: %v", err)
				}
			}
		}
	}
}

func TestExplicitParametersRejected(t *testing.T) {
	c, _ := CurveByName("brainpoolP256r1")
	good, err := c.MarshalParameters(true)
	if err != nil {
		t.Fatal(err)
	}
	var p ecParameters
	if _, err := asn1.Unmarshal(good, &p); err != nil {
		t.Fatal(err)
	}
	mutate := map[string]func(p *ecParameters){
		"other b":         func(p *ecParameters) { p.Curve.B = append([]byte(nil), p.Curve.B...); p.Curve.B[5] ^= 1 },
		"other order":     func(p *ecParameters) { p.Order = new(big.Int).Add(p.Order, big.NewInt(2)) },
		"other generator": func(p *ecParameters) { x, y := c.Double(c.Params().Gx, c.Params().Gy); p.Base = c.EncodePoint(x, y) },
		"cofactor 4":      func(p *ecParameters) { p.Cofactor = big.NewInt(4) },
		"binary field":    func(p *ecParameters) { p.FieldID.FieldType = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 2} },
		"base off curve":  func(p *ecParameters) { p.Base = append([]byte(nil), p.Base...); p.Base[40] ^= 1 },
	}
	for name, m := range mutate {
		q := p
		m(&q)
		der, err := asn1.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseECParameters(der); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A compressed base point is fine.
	q := p
	q.Base = append([]byte{2 + byte(c.Params().Gy.Bit(0))}, c.fieldBytes(c.Params().Gx)...)
	der, _ := asn1.Marshal(q)
	if got, err := ParseECParameters(der); err != nil || got != c {
		t.Errorf("compressed base: %v %v", got, err)
	}
}

func sign(t testing.TB, key crypto.Signer, hash crypto.Hash, pss bool, msg []byte) (pkix.AlgorithmIdentifier, []byte) {
	t.Helper()
	alg, err := SignatureAlgorithm(key.Public(), hash, pss)
	if err != nil {
		t.Fatal(err)
	}
	h := hash.New()
	h.Write(msg)
	var opts crypto.SignerOpts = hash
	if pss {
		opts = &rsa.PSSOptions{SaltLength: hash.Size(), Hash: hash}
	}
	sig, err := key.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	return alg, sig
}

func TestVerify(t *testing.T) {
	msg := []byte("LDSSecurityObject")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"P-256", "P-384", "P-521", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"} {
		c, _ := CurveByName(name)
		k, _ := ecdsa.GenerateKey(c.Curve, rand.Reader)
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
			alg, sig := sign(t, k, h, false, msg)
			if err := Verify(&k.PublicKey, alg, 0, msg, sig); err != nil {
				t.Errorf("%s %v: %v", name, h, err)
			}
			if err := Verify(&k.PublicKey, alg, 0, append(msg, 0), sig); !errors.Is(err, ErrSignature) {
				t.Errorf("%s %v, other message: %v", name, h, err)
			}
			// Key type only, with the SignerInfo's digest algorithm.
			if err := Verify(&k.PublicKey, pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey}, h, msg, sig); err != nil {
				t.Errorf("%s %v id-ecPublicKey: %v", name, h, err)
			}
		}
		// BSI plain encoding.
		alg, sig := sign(t, k, crypto.SHA256, false, msg)
		var rs struct{ R, S *big.Int }
		asn1.Unmarshal(sig, &rs)
		size := (c.Params().N.BitLen() + 7) / 8
		plain := append(rs.R.FillBytes(make([]byte, size)), rs.S.FillBytes(make([]byte, size))...)
		plainAlg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}}
		if err := Verify(&k.PublicKey, plainAlg, 0, msg, plain); err != nil {
			t.Errorf("%s plain: %v", name, err)
		}
		if err := Verify(&rsaKey.PublicKey, alg, 0, msg, sig); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ECDSA algorithm with an RSA key: %v", err)
		}
	}
	for _, pss := range []bool{false, true} {
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
			alg, sig := sign(t, rsaKey, h, pss, msg)
			if err := Verify(&rsaKey.PublicKey, alg, 0, msg, sig); err != nil {
				t.Errorf("RSA pss=%v %v: %v", pss, h, err)
			}
			sig[3] ^= 1
			if err := Verify(&rsaKey.PublicKey, alg, 0, msg, sig); !errors.Is(err, ErrSignature) {
				t.Errorf("RSA pss=%v %v broken: %v", pss, h, err)
			}
		}
	}
	if err := Verify(&rsaKey.PublicKey, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 3}}, 0, msg, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func TestParseRSAKey(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, err := MarshalPublicKey(&k.PublicKey, false)
	if err != nil {
		t.Fatal(err)
	}
	std, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil || hex.EncodeToString(std) != hex.EncodeToString(der) {
		t.Fatalf("our RSA SPKI differs from crypto/x509's: %v", err)
	}
	pub, err := ParsePublicKey(der)
	if r, ok := pub.(*rsa.PublicKey); err != nil || !ok || !r.Equal(&k.PublicKey) {
		t.Fatalf("ParsePublicKey: %v %v", pub, err)
	}
}

func FuzzParsePublicKey(f *testing.F) {
	for _, name := range []string{"P-256", "brainpoolP256r1", "brainpoolP512r1"} {
		c, _ := CurveByName(name)
		k, _ := ecdsa.GenerateKey(c.Curve, rand.Reader)
		for _, explicit := range []bool{false, true} {
			der, _ := MarshalPublicKey(&k.PublicKey, explicit)
			f.Add(der)
		}
	}
	r, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, _ := MarshalPublicKey(&r.PublicKey, false)
	f.Add(der)
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		if ec, ok := pub.(*ecdsa.PublicKey); ok && !ec.Curve.IsOnCurve(ec.X, ec.Y) {
			t.Fatal("accepted a point off the curve")
		}
		_ = Verify(pub, pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey}, crypto.SHA256, b, b)
	})
}
