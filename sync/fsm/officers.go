package fsm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/bundle"
)

// Officer accounts are created by city IT and travel to the edge signed
// inside the commune bundle (DESIGN.md, "Trust model"). The city stores only the
// Argon2id hash the CLI made. Every change to a commune's accounts
// advances the commune's subset version, so that edges pull, and so that a
// subset version still names exactly one bundle header (bundles are cached
// by version).

// ErrOfficerUnknown answers a disable of an account the city does not hold.
var ErrOfficerUnknown = errors.New("fsm: no such officer account in this commune (add it with `xanode fleet officer add`)")

// OfficerAccount is an officer account as city IT sets it: added or
// replaced (with a new password hash), or disabled (Disabled, and nothing
// but Commune and User). It is also the body of POST /v1/admin/officers
// (api.OfficerRequest).
type OfficerAccount struct {
	Commune  string `json:"commune"`
	User     string `json:"user"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Salt     []byte `json:"salt,omitempty"`
	Hash     []byte `json:"hash,omitempty"`
	Time     uint32 `json:"t,omitempty"`
	Memory   uint32 `json:"m,omitempty"` // KiB
	Threads  uint8  `json:"p,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// OfficerOp is the payload of KindOfficer: the account, and who set it.
type OfficerOp struct {
	OfficerAccount
	By string `json:"by,omitempty"` // the admin certificate's ID
}

// Officer is a stored account: the last OfficerOp that set it, with when
// it was applied (the leader's clock).
type Officer struct {
	OfficerOp
	Changed time.Time `json:"changed"`
}

// Bundle gives the account as a bundle carries it (no author, no time).
func (o *Officer) Bundle() bundle.Officer {
	return bundle.Officer{User: o.User, Name: o.Name, Role: o.Role, Disabled: o.Disabled,
		Salt: o.Salt, Hash: o.Hash, Time: o.Time, Memory: o.Memory, Threads: o.Threads}
}

// checkOfficer holds the rules of bundle.Officer, so that whatever the log
// holds can travel in a bundle.
func (c *Command) checkOfficer() error {
	op := c.Officer
	switch {
	case op == nil:
		return errors.New("officer command without a payload")
	case !validCommune(op.Commune):
		return fmt.Errorf("officer commune %q must be 5 digits", op.Commune)
	case len(op.By) > 128:
		return errors.New("officer command author too long")
	case op.Disabled:
		if !bundle.ValidUser(op.User) || op.Name != "" || op.Role != "" || len(op.Salt)+len(op.Hash) != 0 || op.Time+op.Memory != 0 || op.Threads != 0 {
			return fmt.Errorf("disabling officer %q: give only the commune and a valid user name", op.User)
		}
		return nil
	}
	o := Officer{OfficerOp: *op}
	b := o.Bundle()
	return b.Check()
}

func officerKey(commune, user string) []byte {
	k := make([]byte, 0, len(commune)+1+len(user))
	return append(append(append(k, commune...), 0), user...)
}

// applyOfficer stores an account and advances the commune's subset
// version to index. Disabling an unknown account changes nothing.
func (f *FSM) applyOfficer(t *txn, index uint64, cmd *Command) any {
	op := *cmd.Officer
	key := officerKey(op.Commune, op.User)
	if op.Disabled {
		v := t.get(bOfficers, key)
		if v == nil {
			return fmt.Errorf("%w: %s in %s", ErrOfficerUnknown, op.User, op.Commune)
		}
		var held Officer
		if err := json.Unmarshal(v, &held); err != nil {
			panic(fmt.Sprintf("fsm: officer %s/%s: %v", op.Commune, op.User, err))
		}
		op.Name, op.Role = held.Name, held.Role
	}
	v, _ := json.Marshal(Officer{OfficerOp: op, Changed: cmd.Received})
	t.put(bOfficers, key, v, true)
	t.advanceSubset(op.Commune, index)
	return nil
}

// Officers returns a commune's accounts in user order, disabled ones
// included, and the subset version they belong to, read in one
// transaction.
func (f *FSM) Officers(commune string) ([]Officer, uint64, error) {
	var out []Officer
	var version uint64
	err := f.view(func(tx *bolt.Tx) error {
		version = subsetVersion(tx, commune)
		prefix := officerKey(commune, "")
		c := tx.Bucket(bOfficers).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var o Officer
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("officer %q: %w", k, err)
			}
			out = append(out, o)
		}
		return nil
	})
	return out, version, err
}
