package edge

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// An officer changes their own password on the box (DESIGN.md, "Web UI").
// A local (break-glass) account simply takes the new hash. A city account's
// hash is city IT's: the box cannot change it at the city — it could not
// prove to the city that the officer, not a thief holding the box, asked,
// since the box holds the very hash such a proof would rest on. So the new
// password becomes a box-local password of the city account, bound to the
// city hash it replaces: on this box only the new password opens the
// account (and the officer's key slot), and when city IT sets a new
// password for the account (a forgotten one), the city's hash differs from
// the one the local password was bound to, and the local password is
// dropped with the next bundle.

// ErrWeakPassword refuses a new password that is too short or the same
// as the old one.
var ErrWeakPassword = errors.New("edge: the new password is not acceptable")

// LocalPassword is a box-local password of a city account.
type LocalPassword struct {
	PasswordHash
	// For is the SHA-256 of the city hash it replaces (salt and hash).
	For []byte `json:"for"`
}

// cityBinding is what binds a local password to a city account's hash.
func cityBinding(h PasswordHash) []byte {
	sum := sha256.Sum256(append(append([]byte{}, h.Salt...), h.Hash...))
	return sum[:]
}

// effective is the hash a login is checked against.
func (o *Officer) effective() PasswordHash {
	if o.Local != nil && subtle.ConstantTimeCompare(o.Local.For, cityBinding(o.PasswordHash)) == 1 {
		return o.Local.PasswordHash
	}
	return o.PasswordHash
}

// ChangePassword checks user's current password and replaces it with
// next: a local account's hash, or a city account's box-local password.
// A wrong current password is ErrBadLogin; a new one that is too short
// or unchanged, ErrWeakPassword. Both Argon2id runs go through the KDF
// gate. Sessions and key slots bound to the old password end with it,
// since the account's stamp changes.
func (s *Store) ChangePassword(ctx context.Context, user, current, next string) (Officer, error) {
	if current == next {
		return Officer{}, fmt.Errorf("%w: the new password is the current one", ErrWeakPassword)
	}
	o, err := s.Authenticate(ctx, user, current)
	if err != nil {
		return Officer{}, err
	}
	ph, err := HashPassword(next)
	if err != nil {
		return Officer{}, fmt.Errorf("%w: %w", ErrWeakPassword, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		held, err := s.account(tx, user)
		if err != nil {
			return err
		}
		// The account must not have changed since the check.
		if held == nil || held.Disabled || string(held.StampMaterial()) != string(o.StampMaterial()) {
			return ErrBadLogin
		}
		if held.Source == SourceLocal {
			held.PasswordHash = ph
		} else {
			held.Local = &LocalPassword{PasswordHash: ph, For: cityBinding(held.PasswordHash)}
		}
		o = *held
		return s.putAccount(tx, held)
	})
	return o, err
}
