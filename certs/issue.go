package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"time"
)

// Role is what a node certificate allows its holder to be.
type Role string

// The roles. The Subject OrganizationalUnit of a node certificate is
// "xanode-" followed by the role.
const (
	RoleCity  Role = "city"  // city (raft) node: serves the API and raft
	RoleEdge  Role = "edge"  // commune edge node: a client of the city
	RoleAdmin Role = "admin" // city IT's fleet CLI: a client of the city
	// RoleMonitor reads a city node's status and metrics and nothing
	// else: what probes and the metrics scraper hold, so that they need
	// no admin certificate.
	RoleMonitor Role = "monitor"
)

const (
	// DefaultNodeLifetime is the validity of an enrolled node certificate
	// (DESIGN.md, "Trust model": renewed after two thirds of it).
	DefaultNodeLifetime = 30 * 24 * time.Hour
	// clockSkew backdates NotBefore: edge boxes' clocks drift, and a
	// certificate that is not valid yet on a slow clock breaks enrollment.
	clockSkew = 5 * time.Minute
	// maxIDLen bounds node IDs, which also become file names.
	maxIDLen = 64
)

const ouPrefix = "xanode-"

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	return r == RoleCity || r == RoleEdge || r == RoleAdmin || r == RoleMonitor
}

func (r Role) extKeyUsage() []x509.ExtKeyUsage {
	if r == RoleCity {
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
}

// ValidNodeID checks a node ID: 1 to 64 characters of a-z, 0-9, '-', '_'
// and '.', not starting with '.' or '-'. Node IDs name certificate files and
// appear in logs and audit records, so they are kept plain.
func ValidNodeID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%w: node ID %q must have 1 to %d characters", ErrInvalid, id, maxIDLen)
	}
	if id[0] == '.' || id[0] == '-' {
		return fmt.Errorf("%w: node ID %q must start with a letter, digit or '_'", ErrInvalid, id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: node ID %q may hold only a-z, 0-9, '-', '_' and '.'", ErrInvalid, id)
		}
	}
	return nil
}

// NodeIdentity returns the node ID and role a node certificate carries. It
// checks only the certificate's contents; chain and validity are the TLS
// stack's (or the caller's) business.
func NodeIdentity(cert *x509.Certificate) (id string, role Role, err error) {
	if cert == nil {
		return "", "", fmt.Errorf("%w: no certificate", ErrIdentity)
	}
	if cert.IsCA {
		return "", "", fmt.Errorf("%w: %q is a CA certificate", ErrIdentity, cert.Subject.CommonName)
	}
	id = cert.Subject.CommonName
	if err := ValidNodeID(id); err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrIdentity, err)
	}
	if ous := cert.Subject.OrganizationalUnit; len(ous) != 1 {
		return "", "", fmt.Errorf("%w: %q has %d organizational units, want exactly one role", ErrIdentity, id, len(ous))
	}
	ou := cert.Subject.OrganizationalUnit[0]
	role = Role(strings.TrimPrefix(ou, ouPrefix))
	if !strings.HasPrefix(ou, ouPrefix) || !role.Valid() {
		return "", "", fmt.Errorf("%w: %q has unknown role %q", ErrIdentity, id, ou)
	}
	return id, role, nil
}

// IssueNode issues a node certificate for pub, signed by the fleet CA.
// hosts (IP addresses or DNS names) are allowed for city nodes only, the
// only role that serves TLS. A zero lifetime means DefaultNodeLifetime; the
// validity is clipped to the fleet CA's.
func (p *PKI) IssueNode(id string, role Role, pub crypto.PublicKey, hosts []string, lifetime time.Duration, now time.Time) (*x509.Certificate, error) {
	if p.fleetKey == nil {
		return nil, fmt.Errorf("%w: this PKI holds no fleet CA key", ErrInvalid)
	}
	tmpl, err := nodeTemplate(id, role, hosts, lifetime, now)
	if err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("%w: node %s: key type %T, want ECDSA or Ed25519", ErrInvalid, id, k)
	}
	if tmpl.NotAfter.After(p.Fleet.NotAfter) {
		tmpl.NotAfter = p.Fleet.NotAfter
	}
	return sign(tmpl, p.Fleet, pub, p.fleetKey)
}

func nodeTemplate(id string, role Role, hosts []string, lifetime time.Duration, now time.Time) (*x509.Certificate, error) {
	if err := ValidNodeID(id); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, fmt.Errorf("%w: node %s: unknown role %q", ErrInvalid, id, role)
	}
	if len(hosts) > 0 && role != RoleCity {
		return nil, fmt.Errorf("%w: node %s: host names are for city certificates only, not %s", ErrInvalid, id, role)
	}
	if lifetime < 0 {
		return nil, fmt.Errorf("%w: node %s: negative lifetime %v", ErrInvalid, id, lifetime)
	}
	if lifetime == 0 {
		lifetime = DefaultNodeLifetime
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			Organization:       []string{"xanode"},
			OrganizationalUnit: []string{ouPrefix + string(role)},
			CommonName:         id,
		},
		// Backdated for slow clocks, but by a tenth of the lifetime at
		// most, so that renewal after two thirds of it stays meaningful
		// for short-lived certificates too.
		NotBefore:             now.Add(-min(clockSkew, lifetime/10)),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           role.extKeyUsage(),
		BasicConstraintsValid: true,
	}
	ips, names, err := parseHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", id, err)
	}
	tmpl.IPAddresses, tmpl.DNSNames = ips, names
	return tmpl, nil
}

// parseHosts splits hosts into IP addresses and DNS names. Wildcards are
// refused: a node certificate names exactly the hosts of one node.
func parseHosts(hosts []string) (ips []net.IP, names []string, err error) {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if h == "" || len(h) > 253 {
			return nil, nil, fmt.Errorf("%w: host name %q must have 1 to 253 characters", ErrInvalid, h)
		}
		for _, r := range h {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
				return nil, nil, fmt.Errorf("%w: host name %q may hold only letters, digits, '-' and '.'", ErrInvalid, h)
			}
		}
		names = append(names, h)
	}
	return ips, names, nil
}

// Credential is a freshly issued node certificate with its key.
type Credential struct {
	TLS     tls.Certificate // leaf and fleet CA chain, private key, Leaf set
	CertPEM []byte          // the leaf followed by the fleet CA
	KeyPEM  []byte          // PKCS#8; store it with mode 0600
}

// IssueNodeKey generates an ECDSA P-256 key and issues a node certificate
// for it (see IssueNode): a convenience for tests, the demo and Init. An
// enrolling edge keeps its key to itself and sends only a CSR instead.
func (p *PKI) IssueNodeKey(id string, role Role, hosts []string, lifetime time.Duration, now time.Time) (*Credential, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := p.IssueNode(id, role, key.Public(), hosts, lifetime, now)
	if err != nil {
		return nil, err
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return nil, err
	}
	return &Credential{
		TLS: tls.Certificate{
			Certificate: [][]byte{cert.Raw, p.Fleet.Raw},
			PrivateKey:  key,
			Leaf:        cert,
		},
		CertPEM: append(certToPEM(cert), certToPEM(p.Fleet)...),
		KeyPEM:  keyPEM,
	}, nil
}

// Fingerprint is the hex SHA-256 of a certificate's DER: how an enrollment
// token names the city root an edge must trust on first contact.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// sign creates the certificate and parses it back, so callers hold the
// same *x509.Certificate that Load would give them.
func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("certs: signing %q: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func certToPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyToPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte { return certToPEM(c) }
