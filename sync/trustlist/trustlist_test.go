package trustlist

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
)

var testNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func mustPKI(t testing.TB) *certs.PKI {
	t.Helper()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testItems(n int) []Item {
	var items []Item
	for i := range n {
		kind := KindCSCA
		if i%3 == 2 {
			kind = KindCRL
		}
		items = append(items, Item{Kind: kind, DER: []byte(fmt.Sprintf("DER of item %d", i))})
	}
	return items
}

func mustBuild(t testing.TB, p *certs.PKI, items []Item, version uint64) []byte {
	t.Helper()
	key, cert := p.DataSigner()
	b, err := Build(items, version, testNow, key, cert)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifierOf(p *certs.PKI, held uint64) Verifier {
	return Verifier{Roots: p.RootPool(), Now: testNow.Add(time.Hour), Held: held}
}

func TestRoundTrip(t *testing.T) {
	p := mustPKI(t)
	items := testItems(7)
	l, err := Open(mustBuild(t, p, items, 42), verifierOf(p, 0))
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 42 || !l.Created.Equal(testNow) || len(l.Items) != 7 || l.Signer == nil {
		t.Fatalf("opened %+v", l)
	}
	for i := 1; i < len(l.Items); i++ {
		a, b := l.Items[i-1].Fingerprint(), l.Items[i].Fingerprint()
		if bytes.Compare(a[:], b[:]) >= 0 {
			t.Fatal("items not in fingerprint order")
		}
	}
	// The order given does not matter: one set, one encoding.
	rev := append([]Item(nil), items...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if !bytes.Equal(mustBuild(t, p, rev, 42), mustBuild(t, p, items, 42)) {
		t.Fatal("two encodings of one set")
	}
	empty, err := Open(mustBuild(t, p, nil, 0), verifierOf(p, 0))
	if err != nil || len(empty.Items) != 0 {
		t.Fatalf("empty list: %v", err)
	}
	key, cert := p.DataSigner()
	for name, items := range map[string][]Item{
		"an item twice": {{KindCSCA, []byte("x")}, {KindCSCA, []byte("x")}},
		"unknown kind":  {{3, []byte("x")}},
		"empty DER":     {{KindCRL, nil}},
	} {
		if _, err := Build(items, 1, testNow, key, cert); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// TestOpenRefuses: a changed byte anywhere, a cut or extended list,
// another city's signer, a key that is not the certificate's, a
// certificate that may not sign, and an older version are all refused.
func TestOpenRefuses(t *testing.T) {
	p := mustPKI(t)
	other := mustPKI(t)
	good := mustBuild(t, p, testItems(5), 10)
	v := verifierOf(p, 0)
	hdr := prefixSize + int(uint32(good[len(magic)])<<24|uint32(good[len(magic)+1])<<16|uint32(good[len(magic)+2])<<8|uint32(good[len(magic)+3]))
	for name, at := range map[string]int{"magic": 2, "version": prefixSize + 3, "count": prefixSize + 20,
		"payload hash": prefixSize + 30, "signer": hdr - 40, "signature": hdr + 10, "item kind": hdr + sigSize, "item DER": len(good) - 2} {
		bad := append([]byte(nil), good...)
		bad[at] ^= 0x10
		if _, err := Open(bad, v); err == nil {
			t.Errorf("a change to the %s was accepted", name)
		}
	}
	for name, bad := range map[string][]byte{"cut": good[:len(good)-1], "extended": append(append([]byte(nil), good...), 0),
		"header only": good[:hdr], "nothing": nil} {
		if _, err := Open(bad, v); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}

	_, cert := p.DataSigner()
	otherKey, otherCert := other.DataSigner()
	_, stray, _ := ed25519.GenerateKey(rand.Reader)
	for name, tc := range map[string]struct {
		key  ed25519.PrivateKey
		cert *x509.Certificate
		want error
	}{
		"another city's data signer":          {otherKey, otherCert, ErrUntrustedSigner},
		"our certificate, another key":        {stray, cert, ErrBadSignature},
		"a certificate that may not sign":     {stray, p.Fleet, ErrUntrustedSigner},
		"another city's signer under our key": {otherKey, cert, ErrBadSignature},
	} {
		b, err := Build(testItems(2), 11, testNow, tc.key, tc.cert)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(b, v); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// The signer must be valid when the list is opened.
	if _, err := Open(good, Verifier{Roots: p.RootPool(), Now: testNow.AddDate(5, 0, 0)}); !errors.Is(err, ErrUntrustedSigner) {
		t.Errorf("an expired signer: %v", err)
	}

	// Rollback: an older version is refused, the same one opens.
	if _, err := Open(good, verifierOf(p, 11)); !errors.Is(err, ErrRollback) {
		t.Errorf("an older list: %v", err)
	}
	if _, err := Open(good, verifierOf(p, 10)); err != nil {
		t.Errorf("the version held: %v", err)
	}
	if _, err := Open(good, Verifier{Now: testNow}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no roots: %v", err)
	}
}

func TestLimits(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	if _, err := Build(make([]Item, MaxItems+1), 1, testNow, key, cert); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many items: %v", err)
	}
	if _, err := Build([]Item{{KindCRL, make([]byte, MaxItem+1)}}, 1, testNow, key, cert); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an item too large: %v", err)
	}
	// A header that claims more than fits is refused before anything else.
	h := header{version: 1, created: testNow, count: 100, payloadSize: 10, signer: cert}
	if _, err := parseHeader(appendHeader(nil, &h)); !errors.Is(err, ErrMalformed) {
		t.Errorf("100 items in 10 bytes: %v", err)
	}
	h.count, h.payloadSize = 1, MaxPayload+1
	if _, err := parseHeader(appendHeader(nil, &h)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a payload too large: %v", err)
	}
}

func isOpenError(err error) bool {
	for _, e := range []error{ErrMalformed, ErrUnsupported, ErrTooLarge, ErrUntrustedSigner, ErrBadSignature, ErrPayloadHash, ErrRollback} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzOpen: whatever the bytes, Open does not panic and fails with one of
// its errors; a list that opens has its signed count of ordered items.
func FuzzOpen(f *testing.F) {
	p := mustPKI(f)
	good := mustBuild(f, p, testItems(4), 3)
	empty := mustBuild(f, p, nil, 3)
	f.Add(good)
	f.Add(empty)
	f.Add(good[:len(good)/2])
	f.Add([]byte(magic))
	v := verifierOf(p, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Open(data, v)
		if err != nil {
			if !isOpenError(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !bytes.Equal(data, good) && !bytes.Equal(data, empty) {
			t.Fatal("a list the city did not sign opened")
		}
	})
}

// FuzzParse reaches the parsers behind the signature: a header and items
// they accept re-encode to the same bytes.
func FuzzParse(f *testing.F) {
	p := mustPKI(f)
	good := mustBuild(f, p, testItems(4), 3)
	n := int(good[len(magic)+2])<<8 | int(good[len(magic)+3])
	f.Add(good[prefixSize:prefixSize+n], good[prefixSize+n+sigSize:])
	f.Fuzz(func(t *testing.T, hb, payload []byte) {
		if h, err := parseHeader(hb); err == nil && !bytes.Equal(appendHeader(nil, h), hb) {
			t.Fatal("a header with two encodings")
		}
		items, err := parseItems(payload, uint32(min(len(payload), MaxItems)))
		if err != nil {
			return
		}
		var again []byte
		for _, it := range items {
			again = append(append(again, byte(it.Kind), 0, 0, 0, 0), it.DER...)
			l := len(again) - len(it.DER) - 4
			again[l], again[l+1], again[l+2], again[l+3] = byte(len(it.DER)>>24), byte(len(it.DER)>>16), byte(len(it.DER)>>8), byte(len(it.DER))
		}
		if !bytes.Equal(again, payload) {
			t.Fatal("items with two encodings")
		}
	})
}
