package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/sync/client"
)

// Unlock says how a tool working on a stopped edge's data folder opens its
// key slots: an officer's password, the TPM, or the city (tried in that
// order; the old key file of a folder being converted first of all).
type Unlock struct {
	Officer  string // user name of an officer with a key slot ("": none)
	Password string
	TPM      vault.TPM // nil: no TPM
	NoCity   bool      // do not ask the city
}

// Opened is a stopped edge's data folder with its key slots open.
type Opened struct {
	Dir   string
	Vault *vault.Vault
	How   string // the slot that opened
	// CitySecret is the city slot's secret when the city opened the
	// vault (so a rekey keeps the city slot); nil otherwise.
	CitySecret []byte
	ID         EdgeIdentity
}

// ErrStillLocked: no key slot opened with what was given.
var ErrStillLocked = errors.New("edge: no key slot opened: give an officer's password (--officer USER, password in XANODE_OFFICER_PASSWORD), use --tpm on a box with a TPM slot, or let the box reach the city")

// OpenOffline opens the key slots of a stopped edge's data folder.
func OpenOffline(ctx context.Context, dir string, u Unlock) (*Opened, error) {
	_, _, roots, id, err := loadEdgeIdentity(dir)
	if err != nil {
		return nil, err
	}
	v, err := openVault(dir, id.Node, slog.Default())
	if err != nil {
		return nil, err
	}
	o := &Opened{Dir: dir, Vault: v, ID: id}
	var errs []error
	try := func(how string, open func() error) bool {
		if err := open(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", how, err))
			return false
		}
		o.How = how
		return true
	}
	if key, err := readHexKey(filepath.Join(dir, edge.KeyFileName)); err == nil && v.Has(vault.KindFile) &&
		try("key file", func() error { return v.UnlockFile(key) }) {
		return o, nil
	}
	if u.TPM != nil && v.Has(vault.KindTPM) && try("TPM", func() error { return v.UnlockTPM(u.TPM) }) {
		return o, nil
	}
	if u.Officer != "" && try("officer "+u.Officer, func() error { _, err := v.UnlockOfficer(ctx, u.Officer, u.Password); return err }) {
		return o, nil
	}
	if !u.NoCity && v.Has(vault.KindCity) && !v.CityEscrowPending() {
		key, _ := v.UnlockKey()
		crl := newEdgeCRL(roots, dir, 0, slog.New(slog.DiscardHandler)) // the list the box last held
		c := &client.Unlocker{URLs: id.City, Roots: roots, Node: id.Node, Key: key, Check: crl.verifyConnection}
		res, err := c.Unlock(ctx)
		if err == nil && try("city", func() error { return v.UnlockCity(res.Secret) }) {
			o.CitySecret = res.Secret
			return o, nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("city: %w", err))
		}
	}
	return nil, fmt.Errorf("%w (%w)", ErrStillLocked, errors.Join(errs...))
}

// Store opens the folder's store under the vault's master key.
func (o *Opened) Store() (*edge.Store, error) {
	master, err := o.Vault.Master()
	if err != nil {
		return nil, err
	}
	defer clear(master)
	return openStoreUnder(filepath.Join(o.Dir, edgeDB), o.Vault, master)
}

// Close forgets DK.
func (o *Opened) Close() {
	o.Vault.Lock()
	clear(o.CitySecret)
}

// PurgeOffline removes the commune subset of a stopped edge and rewrites
// the store under a new key, so that the purged records' pages cannot be
// decrypted with any key the box keeps. It returns the outbox depth.
func (o *Opened) PurgeOffline() (pending int, err error) {
	st, err := o.Store()
	if err != nil {
		return 0, err
	}
	err = st.Purge()
	q, qerr := st.Queue()
	if cerr := st.Close(); err == nil {
		err = errors.Join(qerr, cerr)
	}
	if err != nil {
		return 0, err
	}
	return q.Pending, rekeyStore(o.Dir, o.Vault)
}

// Rekey rotates the data key of a stopped edge: a fresh store file under
// a new master key, a new DK, the slots whose keys are at hand rewrapped
// (the TPM's, the city's when the city opened the vault, the officer's
// whose password opened it), the sealed node key sealed again. Other
// officer slots cannot be rewrapped without their passwords: they are
// dropped (the number is returned), and those officers' next login makes
// them again. A city slot the city did not open is made anew and escrowed
// at the next start (until then an officer's login or the TPM opens the
// box).
func (o *Opened) Rekey(u Unlock) (dropped int, err error) {
	sealedPath := filepath.Join(o.Dir, edgeSealedKey)
	sealed, err := os.ReadFile(sealedPath)
	if err != nil {
		return 0, err
	}
	keyPEM, err := o.Vault.Open(edgeKeyFile, sealed)
	if err != nil {
		return 0, err
	}
	defer clear(keyPEM)
	old, err := o.Vault.Master()
	if err != nil {
		return 0, err
	}
	defer clear(old)
	next := make([]byte, 32)
	rand.Read(next)
	defer clear(next)
	if err := o.Vault.SetNextMaster(next); err != nil {
		return 0, err
	}
	if err := edge.Rekey(filepath.Join(o.Dir, edgeDB), old, next); err != nil {
		return 0, err
	}
	var user, password string
	var material []byte
	if o.How == "officer "+u.Officer {
		user, password = u.Officer, u.Password
		if material, err = o.officerMaterial(user); err != nil {
			return 0, err
		}
	}
	var tpm vault.TPM
	if o.Vault.Has(vault.KindTPM) {
		tpm = u.TPM
	}
	if dropped, err = o.Vault.Rotate(next, tpm, o.CitySecret, user, password, material); err != nil {
		return dropped, err
	}
	resealed, err := o.Vault.Seal(edgeKeyFile, keyPEM)
	if err != nil {
		return dropped, err
	}
	return dropped, installFiles(o.Dir, []edgeFile{{edgeSealedKey, resealed, 0o600}})
}

// officerMaterial is the stamp material of user's account, read from the
// store (opened under the vault's next master key during a rekey).
func (o *Opened) officerMaterial(user string) ([]byte, error) {
	st, err := o.Store()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	officers, err := st.Officers()
	if err != nil {
		return nil, err
	}
	for _, off := range officers {
		if off.User == user && !off.Disabled {
			return off.StampMaterial(), nil
		}
	}
	return nil, fmt.Errorf("edge: no account %q in the store", user)
}
