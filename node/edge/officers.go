package edge

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"
)

// ErrBadLogin is returned for an unknown user or a wrong password alike, so
// that a login form does not reveal which accounts exist.
var ErrBadLogin = errors.New("edge: wrong user name or password")

var bOfficers = []byte("officers")

// Argon2id parameters (RFC 9106's second recommended option scaled to an
// office PC): 64 MiB, 3 passes. Stored with each hash so they can change.
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
)

// Officer is an account allowed to use the edge's UI.
type Officer struct {
	User    string `json:"user"`
	Name    string `json:"name"`
	Role    string `json:"role"` // officer or supervisor
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"`
	Threads uint8  `json:"p"`
}

// PutOfficer creates or replaces an account with a new password.
func (s *Store) PutOfficer(user, name, role, password string) error {
	if user == "" || len(password) < 8 {
		return fmt.Errorf("edge: officer %q needs a user name and a password of at least 8 characters", user)
	}
	if role != "officer" && role != "supervisor" {
		return fmt.Errorf("edge: role %q must be officer or supervisor", role)
	}
	o := Officer{User: user, Name: name, Role: role, Salt: make([]byte, 16),
		Time: argonTime, Memory: argonMemory, Threads: argonThreads}
	if _, err := rand.Read(o.Salt); err != nil {
		return err
	}
	o.Hash = argon2.IDKey([]byte(password), o.Salt, o.Time, o.Memory, o.Threads, argonKeyLen)
	v, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bOfficers)
		if err != nil {
			return err
		}
		return b.Put([]byte(user), v)
	})
}

// Authenticate checks a password. It spends the same work on unknown
// users as on known ones.
func (s *Store) Authenticate(user, password string) (Officer, error) {
	var o Officer
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOfficers)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(user)); v != nil {
			found = true
			return json.Unmarshal(v, &o)
		}
		return nil
	})
	if err != nil {
		return Officer{}, err
	}
	if !found {
		o = Officer{Salt: make([]byte, 16), Hash: make([]byte, argonKeyLen), Time: argonTime, Memory: argonMemory, Threads: argonThreads}
	}
	got := argon2.IDKey([]byte(password), o.Salt, o.Time, o.Memory, o.Threads, uint32(len(o.Hash)))
	if subtle.ConstantTimeCompare(got, o.Hash) != 1 || !found {
		return Officer{}, ErrBadLogin
	}
	return o, nil
}

// PutOfficerIfAbsent creates an account unless the user exists.
func (s *Store) PutOfficerIfAbsent(user, name, role, password string) error {
	exists := false
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bOfficers); b != nil {
			exists = b.Get([]byte(user)) != nil
		}
		return nil
	})
	if err != nil || exists {
		return err
	}
	return s.PutOfficer(user, name, role, password)
}

// Role returns the role of an account ("" for an unknown user).
func (s *Store) Role(user string) (string, error) {
	var o Officer
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bOfficers); b != nil {
			if v := b.Get([]byte(user)); v != nil {
				return json.Unmarshal(v, &o)
			}
		}
		return nil
	})
	return o.Role, err
}
