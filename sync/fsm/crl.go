package fsm

import (
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// City-node and admin certificates are revoked by the fleet CA's
// revocation list (`xanode pki revoke`), a standard X.509 CRL signed with
// the fleet CA key: the city node that receives it checks the signature
// before proposing it, so a stolen admin certificate alone cannot revoke
// anything, and the FSM keeps the newest list (by CRL number) and an
// in-memory set of its serials that every handshake — API and raft port —
// is checked against. Edge certificates are revoked through the fleet
// state instead (fleet.go), by node.

var (
	// ErrCRLNotNewer answers a list whose number is not above the one held.
	ErrCRLNotNewer = errors.New("fsm: revocation list is not newer than the one the city holds")
	// ErrCertRevoked is returned by CheckCert for a revoked certificate.
	ErrCertRevoked = errors.New("fleet: certificate revoked by the fleet CA")
)

var kFleetCRL = []byte("fleet")

func parseCRL(der []byte) (*x509.RevocationList, error) {
	if len(der) == 0 || len(der) > MaxCRLBytes {
		return nil, fmt.Errorf("revocation list of %d bytes (1 to %d)", len(der), MaxCRLBytes)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	if crl.Number == nil || crl.Number.Sign() <= 0 {
		return nil, errors.New("revocation list without a positive CRL number")
	}
	return crl, nil
}

// MaxCRLBytes bounds a revocation list: tens of thousands of entries.
const MaxCRLBytes = 1 << 20

// applyCRL keeps the list if it is newer than the one held.
func (f *FSM) applyCRL(t *txn, cmd *Command) any {
	crl, err := parseCRL(cmd.CRL)
	if err != nil {
		return err
	}
	if held := t.get(bCRL, kFleetCRL); held != nil {
		old, err := x509.ParseRevocationList(held)
		if err != nil {
			panic(fmt.Sprintf("fsm: stored revocation list: %v", err))
		}
		if crl.Number.Cmp(old.Number) <= 0 {
			return fmt.Errorf("%w: number %s, held %s", ErrCRLNotNewer, crl.Number, old.Number)
		}
	}
	t.put(bCRL, kFleetCRL, cmd.CRL, true)
	f.setRevoked(crl)
	t.events = append(t.events, Event{Kind: EventCRL})
	return nil
}

func (f *FSM) setRevoked(crl *x509.RevocationList) {
	revoked := make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		revoked[hex.EncodeToString(e.SerialNumber.Bytes())] = true
	}
	f.authMu.Lock()
	f.revoked = revoked
	f.authMu.Unlock()
}

// loadCRL rebuilds the revoked set from the file.
func (f *FSM) loadCRL(tx *bolt.Tx) error {
	der := tx.Bucket(bCRL).Get(kFleetCRL)
	if der == nil {
		f.authMu.Lock()
		f.revoked = nil
		f.authMu.Unlock()
		return nil
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return fmt.Errorf("revocation list: %w", err)
	}
	f.setRevoked(crl)
	return nil
}

// CheckCert refuses a certificate (by hex serial, as certs.Serial gives
// it) that the fleet CA's newest revocation list names. It reads memory
// only: every TLS handshake calls it.
func (f *FSM) CheckCert(serial string) error {
	f.authMu.RLock()
	revoked := f.revoked[serial]
	f.authMu.RUnlock()
	if revoked {
		return fmt.Errorf("%w: serial %s", ErrCertRevoked, serial)
	}
	return nil
}

// CRL returns the DER of the revocation list the city holds (nil if none).
func (f *FSM) CRL() ([]byte, error) {
	var out []byte
	err := f.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bCRL).Get(kFleetCRL); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}
