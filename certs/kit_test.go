package certs

import (
	"crypto"
	"crypto/x509"
	"testing"
	"time"
)

// mustInit creates a PKI in a fresh temporary directory, issued now.
func mustInit(t testing.TB, opts InitOptions) *PKI {
	t.Helper()
	p, err := Init(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return p
}

// mustEdge issues an edge credential.
func mustEdge(t testing.TB, p *PKI, id string, lifetime time.Duration, now time.Time) *Credential {
	t.Helper()
	c, err := p.IssueNodeKey(id, RoleEdge, nil, lifetime, now)
	if err != nil {
		t.Fatalf("IssueNodeKey(%s): %v", id, err)
	}
	return c
}

// mustRootKey reads the root key that Init wrote (Load never does).
func mustRootKey(t testing.TB, p *PKI) crypto.Signer {
	t.Helper()
	k, err := readKey(p.Dir, RootKeyFile, p.Root)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustSign signs a hand-made template, for certificates the PKI would
// never issue.
func mustSign(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	c, err := sign(tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
