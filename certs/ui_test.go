package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestUICertificate(t *testing.T) {
	for _, c := range []struct {
		hosts []string
		ok    bool
	}{
		{[]string{"192.168.1.10"}, true},
		{[]string{"edge-92101.xuankhanh.lan", "10.0.0.5", "127.0.0.1"}, true},
		{[]string{"canbo.internal"}, true},
		{[]string{"8.8.8.8"}, false},
		{[]string{"www.gov.vn"}, false},
		{[]string{"evil.lan.vn"}, false},
		{[]string{"*.lan"}, false},
		{nil, false},
	} {
		if err := CheckUIHosts(c.hosts, DefaultUIDomains); (err == nil) != c.ok {
			t.Errorf("%v: %v, want ok=%v", c.hosts, err, c.ok)
		}
	}
	p, err := Init(t.TempDir(), InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, csrPEM, _ := NewNodeKey("edge-92101")
	cert, chain, err := p.IssueUICSR(csrPEM, "edge-92101", []string{"192.168.1.10", "edge.xuankhanh.lan"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(chain, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	// A browser trusting the city root accepts it for its name…
	opts := x509.VerifyOptions{Roots: p.RootPool(), Intermediates: x509.NewCertPool(), DNSName: "edge.xuankhanh.lan",
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	opts.Intermediates.AddCert(p.Fleet)
	if _, err := pair.Leaf.Verify(opts); err != nil {
		t.Fatalf("UI certificate does not verify as a server: %v", err)
	}
	// …but it is no client certificate and no node identity.
	opts.KeyUsages, opts.DNSName = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, ""
	if _, err := cert.Verify(opts); err == nil {
		t.Fatal("the UI certificate verifies as a client certificate")
	}
	if _, _, err := NodeIdentity(cert); !errors.Is(err, ErrIdentity) {
		t.Fatalf("the UI certificate carries a node identity: %v", err)
	}
	if got := UIHosts(cert); len(got) != 2 {
		t.Fatalf("hosts %v", got)
	}
}
