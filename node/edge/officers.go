package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/bundle"
)

// Officer accounts come from two sources. City accounts are created by
// city IT and arrive signed in the commune bundle (DESIGN.md, "Trust model"):
// every bundle with an officer list makes the city accounts exactly that
// list, in the transaction that installs the subset, so a disabled or
// removed officer cannot log in once the bundle is here. Local accounts,
// added on the box with `xanode edge officer add`, are the break-glass
// path: they stay, except where a city account of the same user name
// replaces one. Both are sealed like the rest of the store, under the
// keyed hash of the user name, and so are the officer UI's sessions.

// ErrBadLogin is returned for an unknown user, a wrong password or a
// disabled account alike, so that a login form does not reveal which
// accounts exist.
var ErrBadLogin = errors.New("edge: wrong user name or password")

// ErrCityAccount refuses a local account under a user name the city
// manages.
var ErrCityAccount = errors.New("edge: this user name is a city account")

var (
	// bOfficersPlain is where stores before sealed accounts kept them in
	// plain text (user → JSON); OpenStore seals them into bAccounts.
	bOfficersPlain = []byte("officers")
	bAccounts      = []byte("accounts") // h(user) → sealed Officer (JSON)
	bSessions      = []byte("sessions") // session ID → sealed session, as the officer UI encodes it
)

// Account sources.
const (
	SourceCity  = "city"
	SourceLocal = "local"
)

// Argon2id parameters (RFC 9106's second recommended option scaled to an
// office PC): 64 MiB, 3 passes. Stored with each hash so they can change;
// `xanode fleet officer add` hashes with them too (HashPassword).
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLen is the shortest password, in characters, an account may
// be given.
const MinPasswordLen = 10

// PasswordHash is an Argon2id hash with its parameters (Memory in KiB).
type PasswordHash struct {
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"`
	Threads uint8  `json:"p"`
}

// HashPassword hashes a new password with a fresh salt and the edge's
// Argon2id parameters, through the KDF gate.
func HashPassword(password string) (PasswordHash, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		return PasswordHash{}, fmt.Errorf("edge: the password has %d characters; give at least %d", n, MinPasswordLen)
	}
	h := PasswordHash{Salt: make([]byte, saltLen), Time: argonTime, Memory: argonMemory, Threads: argonThreads}
	if _, err := rand.Read(h.Salt); err != nil {
		return PasswordHash{}, err
	}
	var err error
	h.Hash, err = Argon2id(context.Background(), []byte(password), h.Salt, h.Time, h.Memory, h.Threads, argonKeyLen)
	return h, err
}

// Officer is an account allowed to use the edge's UI.
type Officer struct {
	User     string `json:"user"`
	Name     string `json:"name"`
	Role     string `json:"role"`               // officer or supervisor
	Source   string `json:"source"`             // SourceCity or SourceLocal
	Disabled bool   `json:"disabled,omitempty"` // a city account city IT disabled: no hash
	PasswordHash
	// Local is the box-local password of a city account whose officer
	// changed it here (password.go); nil: the city's password.
	Local *LocalPassword `json:"local,omitempty"`
}

func (s *Store) accountKey(user string) []byte { return s.keys.hash("officer", user) }

func (s *Store) putAccount(tx *bolt.Tx, o *Officer) error {
	v, err := json.Marshal(o)
	if err != nil {
		return err
	}
	k := s.accountKey(o.User)
	return tx.Bucket(bAccounts).Put(k, s.keys.seal(bAccounts, k, v))
}

func (s *Store) openAccount(k, v []byte) (*Officer, error) {
	plain, err := s.keys.open(bAccounts, k, v)
	if err != nil {
		return nil, err
	}
	o := &Officer{}
	if err := json.Unmarshal(plain, o); err != nil {
		return nil, fmt.Errorf("%w: officer account %x: %w", ErrCorrupt, k, err)
	}
	return o, nil
}

// account reads user's account; nil when there is none.
func (s *Store) account(tx *bolt.Tx, user string) (*Officer, error) {
	k := s.accountKey(user)
	v := tx.Bucket(bAccounts).Get(k)
	if v == nil {
		return nil, nil
	}
	return s.openAccount(k, v)
}

// PutOfficer creates or replaces a local account with a new password. A
// user name the city manages is refused (ErrCityAccount): city IT changes
// those, and the next bundle would undo a local change.
func (s *Store) PutOfficer(user, name, role, password string) error {
	if !bundle.ValidUser(user) {
		return fmt.Errorf("edge: user name %q must be 1 to %d of a-z, 0-9, '.', '_' and '-'", user, bundle.MaxUserLen)
	}
	if role != bundle.RoleOfficer && role != bundle.RoleSupervisor {
		return fmt.Errorf("edge: role %q must be officer or supervisor", role)
	}
	ph, err := HashPassword(password)
	if err != nil {
		return err
	}
	o := &Officer{User: user, Name: name, Role: role, Source: SourceLocal, PasswordHash: ph}
	return s.db.Update(func(tx *bolt.Tx) error {
		held, err := s.account(tx, user)
		if err != nil {
			return err
		}
		if held != nil && held.Source == SourceCity {
			return fmt.Errorf("%w: %s is managed with `xanode fleet officer`; give the local account another name", ErrCityAccount, user)
		}
		return s.putAccount(tx, o)
	})
}

// PutOfficerIfAbsent creates a local account unless the user exists.
func (s *Store) PutOfficerIfAbsent(user, name, role, password string) error {
	var held *Officer
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		held, err = s.account(tx, user)
		return err
	})
	if err != nil || held != nil {
		return err
	}
	return s.PutOfficer(user, name, role, password)
}

// Authenticate checks a password. It spends the same work on unknown and
// disabled users as on known ones, through the KDF gate: ErrBusy (or
// ctx's error) when no turn came, and then nothing was checked.
func (s *Store) Authenticate(ctx context.Context, user, password string) (Officer, error) {
	var o *Officer
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		o, err = s.account(tx, user)
		return err
	})
	if err != nil {
		return Officer{}, err
	}
	usable := o != nil && !o.Disabled
	ph := PasswordHash{Salt: make([]byte, saltLen), Hash: make([]byte, argonKeyLen), Time: argonTime, Memory: argonMemory, Threads: argonThreads}
	if usable {
		ph = o.effective()
	}
	got, err := Argon2id(ctx, []byte(password), ph.Salt, ph.Time, ph.Memory, ph.Threads, uint32(len(ph.Hash)))
	if err != nil {
		return Officer{}, err
	}
	if subtle.ConstantTimeCompare(got, ph.Hash) != 1 || !usable {
		return Officer{}, ErrBadLogin
	}
	return *o, nil
}

// Role returns the role of an account that may log in ("" for an unknown
// or disabled user).
func (s *Store) Role(user string) (string, error) {
	var role string
	err := s.db.View(func(tx *bolt.Tx) error {
		o, err := s.account(tx, user)
		if o != nil && !o.Disabled {
			role = o.Role
		}
		return err
	})
	return role, err
}

// OfficerStamp returns a value that changes whenever user's password,
// role or source changes, and "" when the account is unknown or disabled:
// a session opened under one stamp ends when it changes. It is a keyed
// hash, so it says nothing of the password hash.
func (s *Store) OfficerStamp(user string) (string, error) {
	var stamp string
	err := s.db.View(func(tx *bolt.Tx) error {
		o, err := s.account(tx, user)
		if err != nil || o == nil || o.Disabled {
			return err
		}
		stamp = hex.EncodeToString(s.keys.hash("officer stamp", string(o.StampMaterial())))
		return nil
	})
	return stamp, err
}

// StampMaterial is what an account's stamps are computed from: its
// source, role and password hash with its parameters, canonically
// encoded. It holds the password hash: callers only hash it.
func (o *Officer) StampMaterial() []byte {
	var b []byte
	eff := o.effective()
	for _, f := range [][]byte{[]byte(o.Source), []byte(o.Role), eff.Salt, eff.Hash} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.BigEndian.AppendUint32(b, o.Time)
	b = binary.BigEndian.AppendUint32(b, o.Memory)
	return append(b, o.Threads)
}

// Officers lists the accounts, in no particular order.
func (s *Store) Officers() ([]Officer, error) {
	var out []Officer
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bAccounts).ForEach(func(k, v []byte) error {
			o, err := s.openAccount(k, v)
			if err == nil {
				out = append(out, *o)
			}
			return err
		})
	})
	return out, err
}

// installOfficers makes the city accounts exactly list, within the
// transaction that installs a bundle. A city account replaces a local one
// of the same user name; other local accounts stay.
func (s *Store) installOfficers(tx *bolt.Tx, list []bundle.Officer) error {
	b := tx.Bucket(bAccounts)
	var city [][]byte
	local := map[string]*LocalPassword{} // box-local passwords of city accounts
	err := b.ForEach(func(k, v []byte) error {
		o, err := s.openAccount(k, v)
		if err == nil && o.Source == SourceCity {
			city = append(city, bytes.Clone(k))
			if o.Local != nil {
				local[o.User] = o.Local
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range city {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	for _, bo := range list {
		o := &Officer{User: bo.User, Name: bo.Name, Role: bo.Role, Source: SourceCity, Disabled: bo.Disabled,
			PasswordHash: PasswordHash{Salt: bo.Salt, Hash: bo.Hash, Time: bo.Time, Memory: bo.Memory, Threads: bo.Threads}}
		// A local password stays while the city's hash is the one it
		// replaced; a new one from city IT (a reset) drops it.
		if lp := local[bo.User]; lp != nil && !bo.Disabled && bytes.Equal(lp.For, cityBinding(o.PasswordHash)) {
			o.Local = lp
		}
		if err := s.putAccount(tx, o); err != nil {
			return err
		}
	}
	return nil
}

// sealOfficers creates the account and session buckets and moves the
// accounts of an older store, kept in plain text, into the sealed bucket
// as local accounts; moved reports whether there were any (their plain
// text is then still in free pages, which OpenStore compacts away).
func (s *Store) sealOfficers(tx *bolt.Tx) (moved bool, err error) {
	for _, name := range [][]byte{bAccounts, bSessions} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return false, err
		}
	}
	plain := tx.Bucket(bOfficersPlain)
	if plain == nil {
		return false, nil
	}
	err = plain.ForEach(func(k, v []byte) error {
		o := &Officer{}
		if err := json.Unmarshal(v, o); err != nil {
			return fmt.Errorf("plain-text officer account %q: %w", k, err)
		}
		o.User, o.Source, o.Disabled = string(k), SourceLocal, false
		moved = true
		return s.putAccount(tx, o)
	})
	if err != nil {
		return false, err
	}
	return moved, tx.DeleteBucket(bOfficersPlain)
}

// SaveSession stores an officer UI session under id (the hash of its
// cookie token, never the token), sealed; it replaces what id held.
func (s *Store) SaveSession(id string, data []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := []byte(id)
		return tx.Bucket(bSessions).Put(k, s.keys.seal(bSessions, k, data))
	})
}

// DeleteSession removes a session; an unknown id is no error.
func (s *Store) DeleteSession(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete([]byte(id)) })
}

// Sessions returns every stored session by id.
func (s *Store) Sessions() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			plain, err := s.keys.open(bSessions, k, v)
			if err == nil {
				out[string(k)] = plain
			}
			return err
		})
	})
	return out, err
}
