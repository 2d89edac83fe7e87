package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheckListen(t *testing.T) {
	for _, tt := range []struct {
		listen        string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{"0.0.0.0:8080", false, false, false},
		{":8080", false, false, false},
		{"192.168.1.10:8080", false, false, false},
		{"canbo.xuankhanh.lan:8080", false, false, false},
		{"0.0.0.0:8443", true, false, true},
		{"0.0.0.0:8080", false, true, true},
	} {
		err := checkListen(tt.listen, tt.tls, tt.insecure)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInsecureListen)) {
			t.Errorf("checkListen(%q, tls %v, insecure %v) = %v", tt.listen, tt.tls, tt.insecure, err)
		}
	}
}

// uiCert makes a UI certificate for names (DNS names and addresses).
func uiCert(t *testing.T, names ...string) *tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestHostGuard: only the edge's own names pass (DNS rebinding reads
// nothing), and under TLS every answer carries HSTS.
func TestHostGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"node_id":"edge-1"}`)) })
	var cert *tls.Certificate
	g := &hostGuard{next: ok, names: hostNames("192.168.1.10:8443", []string{"Canbo.XuanKhanh.lan"}), ui: func() *tls.Certificate { return cert }}
	try := func(host string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/v1/status", nil)
		r.Host = host
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	for host, want := range map[string]int{
		"192.168.1.10:8443":        http.StatusOK,
		"127.0.0.1:8443":           http.StatusOK,
		"localhost":                http.StatusOK,
		"[::1]:8443":               http.StatusOK,
		"canbo.xuankhanh.lan:8443": http.StatusOK,
		"canbo.xuankhanh.lan.":     http.StatusOK,
		"rebind.attacker.example":  http.StatusMisdirectedRequest,
		"192.168.1.11:8443":        http.StatusMisdirectedRequest,
		"edge.xuankhanh.lan":       http.StatusMisdirectedRequest, // only once the certificate names it
		"":                         http.StatusMisdirectedRequest,
	} {
		w := try(host)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
		if w.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("Host %q: HSTS over plain HTTP", host)
		}
	}
	cert = uiCert(t, "edge.xuankhanh.lan", "10.0.0.5")
	for host, want := range map[string]int{
		"edge.xuankhanh.lan:8443": http.StatusOK,
		"10.0.0.5":                http.StatusOK,
		"rebind.attacker.example": http.StatusMisdirectedRequest,
	} {
		w := try(host)
		if w.Code != want {
			t.Errorf("with the certificate, Host %q: %d, want %d", host, w.Code, want)
		}
		if want == http.StatusOK && w.Header().Get("Strict-Transport-Security") != hstsValue {
			t.Errorf("Host %q under TLS: Strict-Transport-Security %q", host, w.Header().Get("Strict-Transport-Security"))
		}
	}
}

// TestHostNamesUnspecified: listening on every address, the box's own
// addresses are its names.
func TestHostNamesUnspecified(t *testing.T) {
	names := hostNames("0.0.0.0:8080", nil)
	if !names["127.0.0.1"] || names["0.0.0.0"] {
		t.Errorf("names %v", names)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !names[ipn.IP.String()] {
			t.Errorf("own address %s is not a name: %v", ipn.IP, names)
		}
	}
}
