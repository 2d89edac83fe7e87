package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// An edge serves its officer UI over HTTPS on the office LAN (DESIGN
// section 9) with a certificate from the fleet CA, which office PCs trust
// through the city root. That certificate is for serving only (serverAuth,
// no clientAuth) and carries no node role, so it is never an identity
// towards the city. Its names are restricted to what an office LAN uses:
// private and loopback addresses, and DNS names under non-public suffixes,
// so that a certificate an edge asked for cannot stand for a public site.

// UIOU marks an edge's UI certificate.
const UIOU = ouPrefix + "edge-ui"

// DefaultUIDomains are the DNS suffixes an edge's UI certificate may name:
// special-use or reserved names that no public site has.
var DefaultUIDomains = []string{"internal", "lan", "local", "home.arpa"}

// CheckUIHosts refuses hosts an edge may not put in its UI certificate.
func CheckUIHosts(hosts []string, domains []string) error {
	if len(hosts) == 0 || len(hosts) > 8 {
		return fmt.Errorf("%w: an edge UI certificate names 1 to 8 hosts, got %d", ErrInvalid, len(hosts))
	}
	ips, names, err := parseHosts(hosts)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsPrivate() && !ip.IsLoopback() {
			return fmt.Errorf("%w: %s is not a private or loopback address", ErrInvalid, ip)
		}
	}
	for _, n := range names {
		ok := false
		for _, d := range domains {
			if strings.HasSuffix(strings.ToLower(n), "."+strings.ToLower(d)) {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%w: %q is not under %s", ErrInvalid, n, strings.Join(domains, ", "))
		}
	}
	return nil
}

// IssueUICSR issues an edge's UI server certificate for the key in a PEM
// CSR, naming hosts (checked with CheckUIHosts by the caller), and returns
// it with the fleet CA as a PEM chain.
func (p *PKI) IssueUICSR(csrPEM []byte, id string, hosts []string, lifetime time.Duration, now time.Time) (*x509.Certificate, []byte, error) {
	if p.fleetKey == nil {
		return nil, nil, fmt.Errorf("%w: this PKI holds no fleet CA key", ErrInvalid)
	}
	if err := ValidNodeID(id); err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(csrPEM)
	if len(csrPEM) > maxCSRBytes || block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, nil, fmt.Errorf("%w: no PEM CERTIFICATE REQUEST for the UI", ErrInvalid)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		return nil, nil, fmt.Errorf("%w: UI CSR does not parse or verify", ErrInvalid)
	}
	if k, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return nil, nil, fmt.Errorf("%w: UI CSR key must be ECDSA P-256 (browsers refuse Ed25519 server certificates)", ErrInvalid)
	}
	ips, names, err := parseHosts(hosts)
	if err != nil {
		return nil, nil, err
	}
	if lifetime <= 0 {
		lifetime = DefaultNodeLifetime
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"xanode"}, OrganizationalUnit: []string{UIOU}, CommonName: id},
		NotBefore:             now.Add(-min(clockSkew, lifetime/10)),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           ips,
		DNSNames:              names,
	}
	if tmpl.NotAfter.After(p.Fleet.NotAfter) {
		tmpl.NotAfter = p.Fleet.NotAfter
	}
	cert, err := sign(tmpl, p.Fleet, csr.PublicKey, p.fleetKey)
	if err != nil {
		return nil, nil, err
	}
	return cert, append(certToPEM(cert), certToPEM(p.Fleet)...), nil
}

// UIHosts lists the names and addresses a UI certificate carries, to ask
// for the same ones at renewal.
func UIHosts(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
