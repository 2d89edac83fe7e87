// Package attest signs and checks the statements an edge prints, such as
// the residence-information confirmation, so that the city, or anyone
// holding the city root's certificate, can tell a genuine paper from a
// forged one (DESIGN.md, "Reports").
//
// The edge signs with its node key, the one in its certificate: the fleet
// CA vouches for that key and the city root for the fleet CA, so the
// signature needs no key of its own and no connection to the city, and
// the box can print while offline. A proof is the statement, the
// signature, and the certificate chain; the edge keeps it in its audit
// log, which reaches the city. The paper carries a short code that names
// the box, the audit entry and a check of 50 bits taken from the
// signature (so codes cannot be guessed to read others' papers); given the
// code, the city finds the proof, and anyone can check it against the
// root.
package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors of checking a proof or a code.
var (
	// ErrCode: the text is not a verification code.
	ErrCode = errors.New("attest: not a verification code")
	// ErrInvalid: the proof does not prove the statement (signature,
	// certificate chain, signer, or a code that does not match it).
	ErrInvalid = errors.New("attest: the document is not genuine")
)

// KindResidence is the residence-information confirmation (xác nhận
// thông tin về cư trú).
const KindResidence = "residence-confirmation"

// Statement is what a printed document says, as signed.
type Statement struct {
	Kind    string    `json:"kind"`
	Node    string    `json:"node"`    // the box that printed it
	Commune string    `json:"commune"` // the commune it speaks for
	Officer string    `json:"officer"` // who printed it (user name)
	Issued  time.Time `json:"issued"`
	Subset  uint64    `json:"subset"` // the version of the data it rests on
	Citizen string    `json:"citizen"`
	// Lines are the record's fields as printed: wire name and canonical
	// value, in the paper's order.
	Lines []Line `json:"lines"`
	// Members are the IDs of the household's members, as listed.
	Members []string `json:"members,omitempty"`
}

// Line is one field of a statement.
type Line struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Proof is a signed statement with the signer's certificate chain (leaf
// first, DER).
type Proof struct {
	Statement json.RawMessage `json:"statement"`
	Sig       []byte          `json:"sig"`
	Chain     [][]byte        `json:"chain"`
}

// Sign signs st with key, whose certificate chain (leaf first, DER) goes
// with it. ECDSA signs SHA-256 of the statement's bytes; Ed25519 the bytes.
func Sign(st Statement, key crypto.Signer, chain [][]byte) (*Proof, error) {
	if len(chain) == 0 {
		return nil, errors.New("attest: no certificate to sign with")
	}
	st.Issued = st.Issued.UTC().Truncate(time.Second)
	body, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	var sig []byte
	switch key.Public().(type) {
	case ed25519.PublicKey:
		sig, err = key.Sign(rand.Reader, body, crypto.Hash(0))
	default:
		sum := sha256.Sum256(body)
		sig, err = key.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("attest: signing: %w", err)
	}
	return &Proof{Statement: body, Sig: sig, Chain: chain}, nil
}

// check is the part of a code taken from the signature: 10 characters of
// base32 (50 bits) of its SHA-256.
func check(sig []byte) string {
	sum := sha256.Sum256(sig)
	return base32.StdEncoding.EncodeToString(sum[:])[:10]
}

// Code is the verification code printed on the paper: the box, the
// sequence number of the audit entry holding the proof, and the check.
// "XN1-edge-92101-42-K7QWMZ2R4D".
func (p *Proof) Code(node string, seq uint64) string {
	return "XN1-" + node + "-" + strconv.FormatUint(seq, 10) + "-" + check(p.Sig)
}

// ParseCode reads a code, as printed or typed (case and spaces ignored).
func ParseCode(code string) (node string, seq uint64, chk string, err error) {
	code = strings.ToUpper(strings.Join(strings.Fields(code), ""))
	rest, ok := strings.CutPrefix(code, "XN1-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i < 0 {
		return "", 0, "", fmt.Errorf("%w: %q", ErrCode, code)
	}
	rest, chk = rest[:i], rest[i+1:]
	j := strings.LastIndexByte(rest, '-')
	if j < 1 || len(chk) != 10 {
		return "", 0, "", fmt.Errorf("%w: %q", ErrCode, code)
	}
	seq, err = strconv.ParseUint(rest[j+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, "", fmt.Errorf("%w: %q", ErrCode, code)
	}
	return strings.ToLower(rest[:j]), seq, chk, nil
}

// Matches reports whether the code's check is the proof's.
func (p *Proof) Matches(chk string) bool { return strings.EqualFold(check(p.Sig), chk) }

// Verify checks a proof: the signer's certificate chains to one of roots
// (through the chain's other certificates and intermediates), was valid
// when the statement was issued, is an edge node's certificate for the
// node the statement names (identity tells, from the certificate, its
// node ID and role: certs.NodeIdentity), and signed the statement.
func Verify(p *Proof, roots, intermediates *x509.CertPool, identity func(*x509.Certificate) (id, role string, err error)) (*Statement, error) {
	var st Statement
	if err := json.Unmarshal(p.Statement, &st); err != nil {
		return nil, fmt.Errorf("%w: statement: %v", ErrInvalid, err)
	}
	if len(p.Chain) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrInvalid)
	}
	leaf, err := x509.ParseCertificate(p.Chain[0])
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrInvalid, err)
	}
	pool := x509.NewCertPool()
	if intermediates != nil {
		pool = intermediates.Clone()
	}
	for _, der := range p.Chain[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			pool.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool, CurrentTime: st.Issued,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: the signer's certificate: %v", ErrInvalid, err)
	}
	id, role, err := identity(leaf)
	if err != nil || role != "edge" || id != st.Node {
		return nil, fmt.Errorf("%w: signed by %q (%s), the statement names node %q: %v", ErrInvalid, id, role, st.Node, err)
	}
	ok := false
	switch pub := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(p.Statement)
		ok = ecdsa.VerifyASN1(pub, sum[:], p.Sig)
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, p.Statement, p.Sig)
	}
	if !ok {
		return nil, fmt.Errorf("%w: the signature does not match the statement", ErrInvalid)
	}
	return &st, nil
}
