package certs

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// City-node and admin certificates are revoked by the fleet CA's
// revocation list: a standard X.509 CRL, signed with the fleet CA key, kept
// in the PKI folder as CRLFile. City IT extends it with Revoke and uploads
// it; the city checks the signature against the fleet CA before it keeps
// the list in raft, so a stolen admin certificate alone cannot revoke a
// city node. Edge certificates are revoked by node in the fleet state
// instead (`xanode fleet revoke`), which also ends the node's enrollment.

// CRLFile is the fleet CA's revocation list in a PKI folder (DER).
const CRLFile = "fleet.crl"

// DefaultAdminLifetime is how long an admin certificate lives: city IT's
// laptop is a likelier loss than a city node, so the certificate that can
// run the fleet is short-lived and re-issued with RenewAdmin.
const DefaultAdminLifetime = 7 * 24 * time.Hour

// crlLifetime is the NextUpdate of a list: informative only, the city
// keeps the newest list it was given whatever its age.
const crlLifetime = 365 * 24 * time.Hour

// ErrNotFleetSigned is returned by VerifyCRL for a list the fleet CA did
// not sign.
var ErrNotFleetSigned = errors.New("certs: revocation list not signed by the fleet CA")

// Revoke adds certificates, by hex serial (as Serial gives it), to the
// fleet CA's revocation list in the PKI folder, with the next CRL number,
// and returns the new list (DER). It needs the fleet CA key. Revoking a
// serial twice keeps one entry.
func (p *PKI) Revoke(serials []string, now time.Time) ([]byte, error) {
	if p.fleetKey == nil {
		return nil, fmt.Errorf("%w: revoking needs %s", ErrMissing, filepath.Join(p.Dir, FleetKeyFile))
	}
	var entries []x509.RevocationListEntry
	number := big.NewInt(1)
	if old, err := p.CRL(); err != nil {
		return nil, err
	} else if old != nil {
		entries = old.RevokedCertificateEntries
		number = new(big.Int).Add(old.Number, big.NewInt(1))
	}
	for _, serial := range serials {
		b, err := hex.DecodeString(serial)
		if err != nil || len(b) == 0 || len(b) > 20 {
			return nil, fmt.Errorf("%w: serial %q must be 1 to 20 bytes in hex", ErrInvalid, serial)
		}
		sn := new(big.Int).SetBytes(b)
		if slices.ContainsFunc(entries, func(e x509.RevocationListEntry) bool { return e.SerialNumber.Cmp(sn) == 0 }) {
			continue
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: sn, RevocationTime: now.UTC()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: number, ThisUpdate: now.UTC(), NextUpdate: now.Add(crlLifetime).UTC(),
		RevokedCertificateEntries: entries,
	}, p.Fleet, p.fleetKey)
	if err != nil {
		return nil, fmt.Errorf("certs: signing the revocation list: %w", err)
	}
	if err := replaceFile(filepath.Join(p.Dir, CRLFile), der, certMode); err != nil {
		return nil, err
	}
	return der, nil
}

// CRL reads the fleet CA's revocation list from the PKI folder, checked
// against the fleet CA; nil when there is none yet.
func (p *PKI) CRL() (*x509.RevocationList, error) {
	der, err := os.ReadFile(filepath.Join(p.Dir, CRLFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return VerifyCRL(der, p.Fleet)
}

// VerifyCRL parses a revocation list and checks that the fleet CA signed
// it and that it carries a CRL number.
func VerifyCRL(der []byte, fleet *x509.Certificate) (*x509.RevocationList, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	if err := crl.CheckSignatureFrom(fleet); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFleetSigned, err)
	}
	if crl.Number == nil || crl.Number.Sign() <= 0 {
		return nil, fmt.Errorf("%w: revocation list without a CRL number", ErrBadFile)
	}
	return crl, nil
}

// RenewAdmin issues a new admin client certificate and key (lifetime 0:
// DefaultAdminLifetime) into the PKI folder, replacing admin.crt and
// admin.key atomically, key first. The old certificate stays valid until it
// expires unless it is revoked.
func (p *PKI) RenewAdmin(lifetime time.Duration, now time.Time) (*Credential, error) {
	if lifetime == 0 {
		lifetime = DefaultAdminLifetime
	}
	c, err := p.renewClient(AdminID, RoleAdmin, AdminCertFile, AdminKeyFile, lifetime, now)
	if err == nil {
		p.admin = c.TLS
	}
	return c, err
}

// RenewMonitor issues a new monitor certificate (lifetime 0:
// DefaultCityLifetime), as RenewAdmin does the admin's.
func (p *PKI) RenewMonitor(lifetime time.Duration, now time.Time) (*Credential, error) {
	if lifetime == 0 {
		lifetime = DefaultCityLifetime
	}
	c, err := p.renewClient(MonitorID, RoleMonitor, MonitorCertFile, MonitorKeyFile, lifetime, now)
	if err == nil {
		p.monitor = c.TLS
	}
	return c, err
}

func (p *PKI) renewClient(id string, role Role, certName, keyName string, lifetime time.Duration, now time.Time) (*Credential, error) {
	c, err := p.IssueNodeKey(id, role, nil, lifetime, now)
	if err != nil {
		return nil, err
	}
	if err := replaceFile(filepath.Join(p.Dir, keyName), c.KeyPEM, keyMode); err != nil {
		return nil, err
	}
	if err := replaceFile(filepath.Join(p.Dir, certName), c.CertPEM, certMode); err != nil {
		return nil, err
	}
	return c, nil
}

// replaceFile writes data to path through a temporary file and a rename,
// so a reader sees the old file or the new one, never half of one.
func replaceFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".new"
	os.Remove(tmp)
	if err := writeExclusive(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
