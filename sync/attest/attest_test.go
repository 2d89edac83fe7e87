package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
)

func identity(c *x509.Certificate) (string, string, error) {
	id, role, err := certs.NodeIdentity(c)
	return id, string(role), err
}

// TestSignVerify: a proof checks against the root; an altered statement,
// another box's name, or a foreign root do not; the code names the entry
// and matches only its proof.
func TestSignVerify(t *testing.T) {
	now := time.Now()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, err := p.IssueNode("edge-92101", certs.RoleEdge, key.Public(), nil, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{cert.Raw, p.Fleet.Raw}
	st := Statement{Kind: KindResidence, Node: "edge-92101", Commune: "92101", Officer: "canbo01", Issued: now,
		Subset: 7, Citizen: "092195001234", Lines: []Line{{"full_name", "Nguyễn Thị Thu Hà"}, {"birth_date", "1995-03-08"}}}
	proof, err := Sign(st, key, chain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(proof, p.RootPool(), nil, identity)
	if err != nil || got.Citizen != st.Citizen || got.Lines[0].Value != "Nguyễn Thị Thu Hà" {
		t.Fatalf("verify: %+v %v", got, err)
	}
	altered := *proof
	altered.Statement = []byte(strings.Replace(string(proof.Statement), "1995-03-08", "1996-03-08", 1))
	if _, err := Verify(&altered, p.RootPool(), nil, identity); !errors.Is(err, ErrInvalid) {
		t.Errorf("an altered statement: %v", err)
	}
	other := st
	other.Node = "edge-92103"
	forged, _ := Sign(other, key, chain)
	if _, err := Verify(forged, p.RootPool(), nil, identity); !errors.Is(err, ErrInvalid) {
		t.Errorf("a statement naming another box: %v", err)
	}
	foreign, _ := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if _, err := Verify(proof, foreign.RootPool(), nil, identity); !errors.Is(err, ErrInvalid) {
		t.Errorf("another city's root: %v", err)
	}

	code := proof.Code("edge-92101", 42)
	node, seq, chk, err := ParseCode(" " + strings.ToLower(code) + " ")
	if err != nil || node != "edge-92101" || seq != 42 || !proof.Matches(chk) || forged.Matches(chk) {
		t.Errorf("code %q: %s %d %s %v", code, node, seq, chk, err)
	}
	for _, bad := range []string{"", "XN1-", "XN1-edge-1-0-ABCDEFGHIJ", "XN2-edge-1-4-ABCDEFGHIJ", "XN1-edge-1-4-ABC"} {
		if _, _, _, err := ParseCode(bad); !errors.Is(err, ErrCode) {
			t.Errorf("ParseCode(%q): %v", bad, err)
		}
	}
}
