package vault

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/xanode/xanode/node/edge"
)

// Argon2id parameters of officer slots: the ones officer passwords are
// hashed with (node/edge/officers.go), so a login that unlocks costs what
// a login costs. Every run goes through the process's one gate
// (edge.Argon2id, edge.KDF), like the password checks of logins: a flood
// of logins on a locked box is bounded the same way, and a caller that
// gets no turn gets edge.ErrBusy (or its context's error) with nothing
// checked.
const (
	ArgonTime    = 3
	ArgonMemory  = 64 << 10 // KiB
	ArgonThreads = 2
)

// UserID is the slot ID of an officer: a hash of the user name under the
// file's salt, so the file does not list who can unlock the box (a user
// name is guessable; the salt only stops precomputed lists).
func (v *Vault) UserID(user string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.userID(user)
}

func (v *Vault) userID(user string) string {
	m := hmac.New(sha256.New, v.f.Salt)
	m.Write([]byte("officer\x00" + user))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// Stamp is an officer slot's stamp for an account's stamp material (its
// source, role and password hash, canonically encoded by the caller),
// keyed by DK: the slot file says nothing of the hash.
func (v *Vault) Stamp(material []byte) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return "", ErrLocked
	}
	m := hmac.New(sha256.New, derive(v.dk, "officer stamp"))
	m.Write(material)
	return hex.EncodeToString(m.Sum(nil)[:16]), nil
}

func officerKEK(ctx context.Context, password string, s *Slot) ([]byte, error) {
	return edge.Argon2id(ctx, []byte(password), s.Salt, s.Time, s.Memory, s.Threads, keyLen)
}

// OfficerKey is the key-encryption key of an officer's slot, derived from
// a password (OfficerKEK) and not yet tried (UnlockOfficerKey).
type OfficerKey struct {
	id, stamp string
	salt, kek []byte
}

// Forget clears the key.
func (k *OfficerKey) Forget() { clear(k.kek) }

// OfficerKEK derives the key of user's slot from password: the costly
// half of UnlockOfficer, which needs no lock of the caller's. It costs
// one Argon2id hash (64 MiB) through the gate whether the slot exists or
// not, so that the time of a refused login does not tell which officers
// hold a slot; ErrNoSlot then tells the two apart for the caller, which
// must not tell the officer. edge.ErrBusy or ctx's error: no turn came,
// nothing was tried.
func (v *Vault) OfficerKEK(ctx context.Context, user, password string) (*OfficerKey, error) {
	v.mu.Lock()
	i := v.find(KindOfficer, v.userID(user))
	var s Slot
	if i >= 0 {
		s = v.f.Slots[i]
	}
	v.mu.Unlock()
	if i < 0 {
		if _, err := officerKEK(ctx, password, &Slot{Salt: make([]byte, 16), Time: ArgonTime, Memory: ArgonMemory, Threads: ArgonThreads}); err != nil {
			return nil, err
		}
		return nil, ErrNoSlot
	}
	kek, err := officerKEK(ctx, password, &s) // outside the lock: it takes a while
	if err != nil {
		return nil, err
	}
	return &OfficerKey{id: s.ID, stamp: s.Stamp, salt: s.Salt, kek: kek}, nil
}

// UnlockOfficerKey opens the slot k was derived for and returns the
// slot's stamp, which the caller checks against the account before it
// lets the officer in.
func (v *Vault) UnlockOfficerKey(k *OfficerKey) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindOfficer, k.id)
	if i < 0 || !bytes.Equal(v.f.Slots[i].Salt, k.salt) {
		return "", ErrNoSlot
	}
	if err := v.unwrap(i, k.kek); err != nil {
		return "", err
	}
	return k.stamp, nil
}

// UnlockOfficer opens user's slot with password and returns the slot's
// stamp: OfficerKEK, then UnlockOfficerKey.
func (v *Vault) UnlockOfficer(ctx context.Context, user, password string) (string, error) {
	k, err := v.OfficerKEK(ctx, user, password)
	if err != nil {
		return "", err
	}
	defer k.Forget()
	return v.UnlockOfficerKey(k)
}

// HasOfficer reports whether user has a slot made under stamp.
func (v *Vault) HasOfficer(user, stamp string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindOfficer, v.userID(user))
	return i >= 0 && v.f.Slots[i].Stamp == stamp
}

// PutOfficer makes (or remakes) user's slot from the password an officer
// just logged in with, under the account's stamp, and saves the file. Its
// Argon2id run goes through the gate: edge.ErrBusy or ctx's error, and no
// slot made, when no turn came.
func (v *Vault) PutOfficer(ctx context.Context, user, stamp, password string) error {
	s := Slot{Kind: KindOfficer, Stamp: stamp, Salt: random(16), Time: ArgonTime, Memory: ArgonMemory, Threads: ArgonThreads}
	kek, err := officerKEK(ctx, password, &s)
	if err != nil {
		return err
	}
	defer clear(kek)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	s.ID = v.userID(user)
	v.put(s, kek)
	return v.saveLocked()
}

// PruneOfficers removes the officer slots whose user is not in stamps (by
// UserID) or whose stamp differs: accounts removed, disabled, or given
// another password or role. It returns how many it removed.
func (v *Vault) PruneOfficers(stamps map[string]string) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := v.remove(func(s *Slot) bool {
		st, ok := stamps[s.ID]
		return s.Kind == KindOfficer && (!ok || st != s.Stamp)
	})
	if n == 0 {
		return 0, nil
	}
	return n, v.saveLocked()
}

// RemoveOfficer removes user's slot, if any.
func (v *Vault) RemoveOfficer(user string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	id := v.userID(user)
	if v.remove(func(s *Slot) bool { return s.Kind == KindOfficer && s.ID == id }) == 0 {
		return nil
	}
	return v.saveLocked()
}

func cityKEK(secret []byte, node string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "xanode keyslot city v1 "+node, keyLen)
	if err != nil {
		panic(err)
	}
	return k
}

func pendingAD(node string) []byte { return []byte("xanode city secret v1\x00" + node) }

// PrepareCity makes a new city slot under a fresh secret and unlock key,
// and keeps the secret sealed under DK (pending) until the city holds it:
// the caller escrows CityPending's secret and public key, then calls
// CityEscrowed. The old city slot, if any, is replaced.
func (v *Vault) PrepareCity() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	secret := random(keyLen)
	s := Slot{Kind: KindCity, Unlock: random(ed25519.SeedSize),
		Pending: seal(derive(v.dk, "pending"), secret, pendingAD(v.f.Node))}
	v.put(s, cityKEK(secret, v.f.Node))
	return v.saveLocked()
}

// CityPending returns the secret and unlock public key of a city slot the
// city does not hold yet (ok false: none pending).
func (v *Vault) CityPending() (secret []byte, unlock ed25519.PublicKey, ok bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindCity, "")
	if i < 0 || v.f.Slots[i].Pending == nil {
		return nil, nil, false, nil
	}
	if v.dk == nil {
		return nil, nil, false, ErrLocked
	}
	s := v.f.Slots[i]
	secret, err = open(derive(v.dk, "pending"), s.Pending, pendingAD(v.f.Node))
	if err != nil {
		return nil, nil, false, err
	}
	return secret, ed25519.NewKeyFromSeed(s.Unlock).Public().(ed25519.PublicKey), true, nil
}

// CityEscrowed drops the pending secret of the city slot whose unlock key
// is unlock: from now on only the city can open the slot.
func (v *Vault) CityEscrowed(unlock ed25519.PublicKey) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindCity, "")
	if i < 0 || !ed25519.NewKeyFromSeed(v.f.Slots[i].Unlock).Public().(ed25519.PublicKey).Equal(unlock) {
		return ErrNoSlot
	}
	v.f.Slots[i].Pending = nil
	return v.saveLocked()
}

// UnlockKey is the city slot's unlock key, to sign an unlock request.
func (v *Vault) UnlockKey() (ed25519.PrivateKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindCity, "")
	if i < 0 {
		return nil, ErrNoSlot
	}
	return ed25519.NewKeyFromSeed(v.f.Slots[i].Unlock), nil
}

// CityEscrowPending reports whether the city slot still waits for escrow.
func (v *Vault) CityEscrowPending() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindCity, "")
	return i >= 0 && v.f.Slots[i].Pending != nil
}

// UnlockCity opens the city slot with the secret the city returned.
func (v *Vault) UnlockCity(secret []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindCity, "")
	if i < 0 {
		return ErrNoSlot
	}
	return v.unwrap(i, cityKEK(secret, v.f.Node))
}

// RemoveCity drops the city slot (the city no longer holds its secret).
func (v *Vault) RemoveCity() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.remove(func(s *Slot) bool { return s.Kind == KindCity }) == 0 {
		return nil
	}
	return v.saveLocked()
}

func fileKEK(key []byte) []byte {
	k, err := hkdf.Key(sha256.New, key, nil, "xanode keyslot file v1", keyLen)
	if err != nil {
		panic(err)
	}
	return k
}

// PutFile adds the transitional slot opened by an old key file's bytes,
// so that a conversion interrupted before another slot exists can be
// resumed with the key file.
func (v *Vault) PutFile(key []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	v.put(Slot{Kind: KindFile}, fileKEK(key))
	return v.saveLocked()
}

// UnlockFile opens the transitional slot with the old key file's bytes.
func (v *Vault) UnlockFile(key []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.find(KindFile, "")
	if i < 0 {
		return ErrNoSlot
	}
	return v.unwrap(i, fileKEK(key))
}

// RemoveFile drops the transitional slot.
func (v *Vault) RemoveFile() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.remove(func(s *Slot) bool { return s.Kind == KindFile }) == 0 {
		return nil
	}
	return v.saveLocked()
}

// Durable reports whether a slot other than the transitional one exists
// that does not wait for escrow: the old key file may then go.
func (v *Vault) Durable() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.f.Slots {
		if s.Kind == KindOfficer || s.Kind == KindTPM || s.Kind == KindCity && s.Pending == nil {
			return true
		}
	}
	return false
}

// Rotate replaces DK by a fresh one wrapping master (the store was
// rewritten under it). Slots whose KEK is at hand are rewrapped: the TPM
// slot (tpm non-nil), the city slot when the caller holds its secret
// (citySecret non-nil; otherwise a new pending city slot is made, to be
// escrowed at the next start), and the officer slot of keepUser with
// keepPassword. Every other officer slot is dropped: its password is not
// known. Sealed files must be sealed again (the box key changes): the
// caller opens them before and seals them after. It returns the number of
// officer slots dropped.
func (v *Vault) Rotate(master []byte, tpm TPM, citySecret []byte, keepUser, keepPassword string, keepMaterial []byte) (int, error) {
	v.mu.Lock()
	if v.dk == nil {
		v.mu.Unlock()
		return 0, ErrLocked
	}
	old := v.f.Slots
	v.f.Slots = nil
	if err := v.setDK(random(keyLen), master); err != nil {
		v.mu.Unlock()
		return 0, err
	}
	dropped := 0
	var keepCity *Slot
	for i := range old {
		s := old[i]
		switch {
		case s.Kind == KindOfficer && keepUser != "" && s.ID == v.userID(keepUser):
		case s.Kind == KindOfficer:
			dropped++
		case s.Kind == KindCity && citySecret != nil:
			keepCity = &s
		}
	}
	if keepCity != nil {
		keepCity.Pending = nil
		v.put(*keepCity, cityKEK(citySecret, v.f.Node))
	}
	v.mu.Unlock()
	if keepCity == nil {
		if err := v.PrepareCity(); err != nil {
			return dropped, err
		}
	}
	if keepUser != "" {
		stamp, err := v.Stamp(keepMaterial)
		if err != nil {
			return dropped, err
		}
		if err := v.PutOfficer(context.Background(), keepUser, stamp, keepPassword); err != nil {
			return dropped, err
		}
	}
	if tpm != nil {
		if err := v.PutTPM(tpm); err != nil {
			return dropped, fmt.Errorf("vault: TPM slot: %w", err)
		}
	}
	return dropped, v.save()
}
