package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Enrollment (DESIGN.md, "Trust model"). City IT makes a one-time token bound to a
// commune, a node ID and an expiry; the city keeps only the token's hash,
// replicated through raft. The token also carries a fingerprint of the city
// root, so that a fresh edge box, which trusts nothing yet, can check the
// root the city hands it on first contact. The edge makes its own key and
// sends a CSR with the token; the city answers with the certificate.

// tokenPrefix starts every enrollment token: a version, and something a
// person recognises when it is pasted in the wrong place.
const tokenPrefix = "xn1_"

const (
	tokenSecretLen = 16 // 128 bits: unguessable within a token's lifetime
	tokenRootLen   = 16 // leading bytes of the root's SHA-256
	// DefaultTokenLifetime is how long an enrollment token stays usable.
	DefaultTokenLifetime = 24 * time.Hour
)

// ErrToken: an enrollment token is malformed (the city's verdict on a
// well-formed token — unknown, used, expired — comes from the city).
var ErrToken = errors.New("malformed enrollment token")

// EnrollToken is what city IT hands to whoever installs an edge box.
type EnrollToken struct {
	Commune string // the commune the node will serve
	Node    string // the node ID it will get
	Secret  [tokenSecretLen]byte
	Root    [tokenRootLen]byte // leading bytes of SHA-256 of the city root's DER
}

// NewEnrollToken makes a token for node serving commune, for the city root.
func NewEnrollToken(commune, node string, root *x509.Certificate) (EnrollToken, error) {
	t := EnrollToken{Commune: commune, Node: node}
	if err := t.check(); err != nil {
		return t, err
	}
	if _, err := rand.Read(t.Secret[:]); err != nil {
		return t, err
	}
	sum := sha256.Sum256(root.Raw)
	copy(t.Root[:], sum[:])
	return t, nil
}

func (t EnrollToken) check() error {
	if len(t.Commune) != 5 || strings.Trim(t.Commune, "0123456789") != "" {
		return fmt.Errorf("%w: commune %q must be 5 digits", ErrToken, t.Commune)
	}
	if err := ValidNodeID(t.Node); err != nil {
		return fmt.Errorf("%w: %w", ErrToken, err)
	}
	return nil
}

// String is the token as typed or pasted: "xn1_" and base64url of the
// commune, the node ID, the secret and the root fingerprint.
func (t EnrollToken) String() string {
	b := []byte(t.Commune)
	b = append(b, byte(len(t.Node)))
	b = append(b, t.Node...)
	b = append(b, t.Secret[:]...)
	b = append(b, t.Root[:]...)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseEnrollToken parses the text of a token, forgiving surrounding
// spaces (tokens get pasted from e-mails and chat).
func ParseEnrollToken(s string) (EnrollToken, error) {
	var t EnrollToken
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, tokenPrefix) {
		return t, fmt.Errorf("%w: it must start with %q", ErrToken, tokenPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(tokenPrefix):])
	if err != nil {
		return t, fmt.Errorf("%w: %v (was it copied whole?)", ErrToken, err)
	}
	if len(b) < 6 {
		return t, fmt.Errorf("%w: too short (was it copied whole?)", ErrToken)
	}
	t.Commune, b = string(b[:5]), b[5:]
	n := int(b[0])
	if len(b) != 1+n+tokenSecretLen+tokenRootLen {
		return t, fmt.Errorf("%w: wrong length (was it copied whole?)", ErrToken)
	}
	t.Node = string(b[1 : 1+n])
	copy(t.Secret[:], b[1+n:])
	copy(t.Root[:], b[1+n+tokenSecretLen:])
	return t, t.check()
}

// Hash is what the city stores and looks tokens up by: SHA-256 over the
// whole token, so that neither the secret nor the binding to commune and
// node can be changed without the hash changing.
func (t EnrollToken) Hash() string {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(t.Commune)))
	b = append(b, t.Commune...)
	b = binary.AppendUvarint(b, uint64(len(t.Node)))
	b = append(b, t.Node...)
	b = append(b, t.Secret[:]...)
	b = append(b, t.Root[:]...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MatchesRoot reports whether root is the city root the token names.
func (t EnrollToken) MatchesRoot(root *x509.Certificate) bool {
	sum := sha256.Sum256(root.Raw)
	return subtle.ConstantTimeCompare(sum[:tokenRootLen], t.Root[:]) == 1
}

// NewNodeKey makes a node's private key (ECDSA P-256) and a CSR naming id,
// both PEM: the key stays on the node, the CSR goes to the city.
func NewNodeKey(id string) (keyPEM, csrPEM []byte, err error) {
	if err := ValidNodeID(id); err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	csrPEM, err = CSR(id, key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = keyToPEM(key)
	return keyPEM, csrPEM, err
}

// CSR makes a PEM certificate request for id signed by key.
func CSR(id string, key crypto.Signer) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// maxCSRBytes bounds what IssueCSR parses.
const maxCSRBytes = 8 << 10

// IssueCSR issues a node certificate for the key in a PEM CSR whose
// signature proves possession of it. The identity comes from the caller
// (from the token or the current certificate), never from the CSR, whose
// subject must merely agree. It returns the certificate chain as PEM (leaf
// followed by the fleet CA), as node certificate files hold it.
func (p *PKI) IssueCSR(csrPEM []byte, id string, role Role, lifetime time.Duration, now time.Time) (*x509.Certificate, []byte, error) {
	if len(csrPEM) > maxCSRBytes {
		return nil, nil, fmt.Errorf("%w: CSR of %d bytes", ErrInvalid, len(csrPEM))
	}
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, nil, fmt.Errorf("%w: no PEM CERTIFICATE REQUEST", ErrInvalid)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: CSR: %v", ErrInvalid, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, nil, fmt.Errorf("%w: CSR signature: %v", ErrInvalid, err)
	}
	if csr.Subject.CommonName != id {
		return nil, nil, fmt.Errorf("%w: CSR names %q, the request is for %q", ErrInvalid, csr.Subject.CommonName, id)
	}
	if k, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return nil, nil, fmt.Errorf("%w: CSR key must be ECDSA P-256", ErrInvalid)
	}
	cert, err := p.IssueNode(id, role, csr.PublicKey, nil, lifetime, now)
	if err != nil {
		return nil, nil, err
	}
	return cert, append(certToPEM(cert), certToPEM(p.Fleet)...), nil
}

// Serial is the hex serial number of a certificate: how the fleet state
// names the certificates a node may use.
func Serial(cert *x509.Certificate) string { return hex.EncodeToString(cert.SerialNumber.Bytes()) }

// APIServerTLS is the configuration of a city node's HTTPS API. Unlike the
// raft transport (ServerTLS), a client certificate is optional, because an
// edge that enrolls has none yet: handlers of every other endpoint require
// one. A certificate that is presented must verify and carry a node
// identity, and check (may be nil) may refuse it, e.g. when it is revoked;
// the refusal ends the handshake.
func APIServerTLS(cert tls.Certificate, clientCAs *x509.CertPool, check func(*x509.Certificate) error) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    clientCAs,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil
			}
			if _, _, err := PeerIdentity(cs); err != nil {
				return err
			}
			if check != nil {
				return check(cs.PeerCertificates[0])
			}
			return nil
		},
	}
}

// ParseChainPEM parses PEM certificates, in order.
func ParseChainPEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 || len(bytes.TrimSpace(b)) != 0 {
		return nil, fmt.Errorf("%w: no certificate, or trailing data", ErrBadFile)
	}
	return out, nil
}
