package bundle

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xanode/xanode/node/registry"
)

// Officer accounts travel signed in the header of every format-2 bundle
// (DESIGN.md, "Trust model"): the commune's whole list, so that an edge makes its
// city-managed accounts exactly that list whatever bundle it installs.
// Only the Argon2id hash travels; the city never sees a password.

// Roles of an officer account.
const (
	RoleOfficer    = registry.OfficerRole
	RoleSupervisor = registry.SupervisorRole
)

// Bounds on an officer list and its fields. The Argon2id bounds keep a
// login on an office PC between "too cheap to resist guessing" (below
// OWASP's 19 MiB) and "enough to exhaust the box" (above 1 GiB, or more
// than ten passes).
const (
	MaxOfficers     = 500
	MaxUserLen      = registry.MaxOfficerLen
	MaxNameLen      = 128 // bytes of UTF-8
	MinSaltLen      = 16
	MaxSaltLen      = 64
	MinHashLen      = 16
	MaxHashLen      = 64
	MinArgonMemory  = 19 << 10 // KiB
	MaxArgonMemory  = 1 << 20  // KiB
	MaxArgonTime    = 10
	MaxArgonThreads = 16
)

// Officer is an account the city manages for a commune's edge. A
// disabled account carries no password hash: it only tells the edge that
// the user may no longer log in, not even with a local account of that
// name.
type Officer struct {
	User     string // 1 to MaxUserLen of a-z 0-9 '.' '_' '-'
	Name     string // full name, 1 to MaxNameLen bytes of printable UTF-8
	Role     string // RoleOfficer or RoleSupervisor
	Disabled bool
	// Argon2id: Salt and Hash of the password, Time passes over Memory
	// KiB with Threads lanes. All zero when Disabled.
	Salt, Hash []byte
	Time       uint32
	Memory     uint32
	Threads    uint8
}

// ValidUser reports whether s is a well-formed officer user name.
func ValidUser(s string) bool { return registry.ValidOfficer(s) }

// Check holds the rules on one officer account; the error names the field
// that is wrong.
func (o *Officer) Check() error {
	if !ValidUser(o.User) {
		return fmt.Errorf("officer user name %q must be 1 to %d of a-z, 0-9, '.', '_' and '-'", o.User, MaxUserLen)
	}
	if o.Name == "" || len(o.Name) > MaxNameLen || !utf8.ValidString(o.Name) ||
		strings.ContainsFunc(o.Name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Errorf("officer %s: full name must be 1 to %d bytes of printable UTF-8", o.User, MaxNameLen)
	}
	if o.Role != RoleOfficer && o.Role != RoleSupervisor {
		return fmt.Errorf("officer %s: role %q must be %s or %s", o.User, o.Role, RoleOfficer, RoleSupervisor)
	}
	if o.Disabled {
		if len(o.Salt) != 0 || len(o.Hash) != 0 || o.Time != 0 || o.Memory != 0 || o.Threads != 0 {
			return fmt.Errorf("officer %s: a disabled account carries no password hash", o.User)
		}
		return nil
	}
	return CheckArgon2(o.User, o.Salt, o.Hash, o.Time, o.Memory, o.Threads)
}

// CheckArgon2 holds the bounds on an Argon2id password hash of user.
func CheckArgon2(user string, salt, hash []byte, time, memory uint32, threads uint8) error {
	switch {
	case len(salt) < MinSaltLen || len(salt) > MaxSaltLen:
		return fmt.Errorf("officer %s: salt of %d bytes, want %d to %d", user, len(salt), MinSaltLen, MaxSaltLen)
	case len(hash) < MinHashLen || len(hash) > MaxHashLen:
		return fmt.Errorf("officer %s: hash of %d bytes, want %d to %d", user, len(hash), MinHashLen, MaxHashLen)
	case time < 1 || time > MaxArgonTime:
		return fmt.Errorf("officer %s: Argon2 time %d, want 1 to %d", user, time, MaxArgonTime)
	case memory < MinArgonMemory || memory > MaxArgonMemory:
		return fmt.Errorf("officer %s: Argon2 memory %d KiB, want %d to %d", user, memory, MinArgonMemory, MaxArgonMemory)
	case threads < 1 || threads > MaxArgonThreads:
		return fmt.Errorf("officer %s: Argon2 threads %d, want 1 to %d", user, threads, MaxArgonThreads)
	}
	return nil
}

// checkOfficers holds the rules on a whole list: bounded, each account
// valid, in strictly ascending user order (so one list has one encoding).
func checkOfficers(list []Officer) error {
	if len(list) > MaxOfficers {
		return fmt.Errorf("%d officers, at most %d", len(list), MaxOfficers)
	}
	for i := range list {
		if err := list[i].Check(); err != nil {
			return err
		}
		if i > 0 && list[i].User <= list[i-1].User {
			return fmt.Errorf("officer %q after %q: the list must be in strictly ascending user order", list[i].User, list[i-1].User)
		}
	}
	return nil
}

// Encoding of the roles and flags (see the package doc).
const (
	roleOfficer    = 1
	roleSupervisor = 2
	flagDisabled   = 1
)

func appendOfficers(b []byte, list []Officer) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(list)))
	for i := range list {
		o := &list[i]
		b = append(b, byte(len(o.User)))
		b = append(b, o.User...)
		b = append(b, byte(len(o.Name)))
		b = append(b, o.Name...)
		role, flags := byte(roleOfficer), byte(0)
		if o.Role == RoleSupervisor {
			role = roleSupervisor
		}
		if o.Disabled {
			flags = flagDisabled
		}
		b = append(b, role, flags, byte(len(o.Salt)))
		b = append(b, o.Salt...)
		b = append(b, byte(len(o.Hash)))
		b = append(b, o.Hash...)
		b = binary.BigEndian.AppendUint32(b, o.Time)
		b = binary.BigEndian.AppendUint32(b, o.Memory)
		b = append(b, o.Threads)
	}
	return b
}

// readOfficers decodes an officer list; the caller then checks the rules
// (checkOfficers). An empty list is not nil: it says the commune has no
// officers, which is not what a format-1 header's silence says.
func readOfficers(r *reader) ([]Officer, error) {
	n := int(r.uint16())
	if !r.ok() {
		return nil, fmt.Errorf("header truncated before the officer list")
	}
	if n > MaxOfficers {
		return nil, fmt.Errorf("%d officers, at most %d", n, MaxOfficers)
	}
	list := make([]Officer, 0, n)
	for i := range n {
		o := Officer{User: string(r.bytes(int(r.byte())))}
		o.Name = string(r.bytes(int(r.byte())))
		role, flags := r.byte(), r.byte()
		o.Salt = clone(r.bytes(int(r.byte())))
		o.Hash = clone(r.bytes(int(r.byte())))
		o.Time, o.Memory, o.Threads = r.uint32(), r.uint32(), r.byte()
		if !r.ok() {
			return nil, fmt.Errorf("officer list truncated at officer %d of %d", i+1, n)
		}
		switch role {
		case roleOfficer:
			o.Role = RoleOfficer
		case roleSupervisor:
			o.Role = RoleSupervisor
		default:
			return nil, fmt.Errorf("officer %q: unknown role %d", o.User, role)
		}
		if flags&^flagDisabled != 0 {
			return nil, fmt.Errorf("officer %q: unknown flags %#x", o.User, flags)
		}
		o.Disabled = flags&flagDisabled != 0
		list = append(list, o)
	}
	return list, nil
}

// clone copies b so that a header does not point into the bundle's bytes;
// empty stays nil.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
