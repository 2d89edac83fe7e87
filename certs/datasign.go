package certs

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"time"
)

// DataSignerLifetime is the validity of the data-signing certificate. It is
// renewed with the (offline) root, so it is long, but far shorter than the
// root's: a leaked signing key stops being accepted by itself.
const DataSignerLifetime = 2 * 365 * 24 * time.Hour

// oidBundleSigning is the extended key usage that marks the data-signing
// certificate (see the package doc for the arc).
var oidBundleSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 1}

func dataSignerTemplate(now time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"xanode"}, CommonName: "xanode data signing"},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(DataSignerLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidBundleSigning},
		BasicConstraintsValid: true,
	}
}

// checkDataSignerShape checks what a data-signing certificate must look
// like, without chain or time: an Ed25519 end-entity certificate whose only
// extended key usage is the bundle-signing marker.
func checkDataSignerShape(cert *x509.Certificate) (ed25519.PublicKey, error) {
	name := cert.Subject.CommonName
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %q has a %T key, want Ed25519", ErrNotDataSigner, name, cert.PublicKey)
	case cert.IsCA:
		return nil, fmt.Errorf("%w: %q is a CA certificate", ErrNotDataSigner, name)
	case cert.KeyUsage&x509.KeyUsageDigitalSignature == 0:
		return nil, fmt.Errorf("%w: %q does not allow digital signatures", ErrNotDataSigner, name)
	case len(cert.ExtKeyUsage) != 0 || len(cert.UnknownExtKeyUsage) != 1 ||
		!slices.ContainsFunc(cert.UnknownExtKeyUsage, oidBundleSigning.Equal):
		// Any other usage (serverAuth, clientAuth, anyExtendedKeyUsage) would
		// let one certificate serve both TLS and bundle signing.
		return nil, fmt.Errorf("%w: %q lacks the bundle-signing usage %v or has other usages", ErrNotDataSigner, name, oidBundleSigning)
	}
	return pub, nil
}

// VerifyDataSigner checks that cert may sign bundles: it is a data-signing
// certificate (Ed25519, the bundle-signing marker and no other usage), it is
// issued directly by one of roots (no intermediates: the online fleet CA
// cannot make signers), and it is valid at now. It returns the key to check
// signatures with.
func VerifyDataSigner(cert *x509.Certificate, roots *x509.CertPool, now time.Time) (ed25519.PublicKey, error) {
	if cert == nil || roots == nil {
		return nil, fmt.Errorf("%w: no certificate or no roots", ErrUntrusted)
	}
	pub, err := checkDataSignerShape(cert)
	if err != nil {
		return nil, err
	}
	// ExtKeyUsageAny because the marker is not an x509.ExtKeyUsage; the
	// marker itself was checked above.
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: data signer %q: %w", ErrUntrusted, cert.Subject.CommonName, err)
	}
	// Directly under a self-signed root, even if the caller's pool also
	// holds the fleet CA (NodePool instead of RootPool).
	for _, chain := range chains {
		if len(chain) == 2 && isSelfSigned(chain[1]) {
			return pub, nil
		}
	}
	return nil, fmt.Errorf("%w: data signer %q is not issued directly by a root", ErrUntrusted, cert.Subject.CommonName)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}
