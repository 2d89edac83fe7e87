// Package vault keeps an edge box's data key in key slots, like LUKS: a
// random data key DK, never on disk in the clear, wraps the store's master
// key and opens the box's sealed private keys; each slot wraps DK under
// one key-encryption key (an officer's password through Argon2id, a secret
// the city holds, the box's TPM, or — only while an old data folder is
// converted — the old key file). Whoever copies the data folder holds
// ciphertext and the slots, and needs one of those to read anything.
//
// The slots live in one small JSON file, FileName, beside the store. It is
// rewritten whole (written beside, synced, renamed), and destroyed by
// overwriting it with random bytes before it is removed.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// FileName is the key slot file in an edge's data folder.
const FileName = "keyslots"

// keyLen is the length of DK, the master key and every KEK.
const keyLen = 32

// Slot kinds.
const (
	KindOfficer = "officer" // KEK = Argon2id(password, slot salt)
	KindCity    = "city"    // KEK from a secret the city keeps (escrowed over mTLS)
	KindTPM     = "tpm"     // KEK sealed by the box's TPM
	KindFile    = "file"    // KEK = the old key file: only while a folder is converted
)

// Errors of the vault.
var (
	// ErrLocked: the operation needs DK, and no slot has been opened.
	ErrLocked = errors.New("vault: locked")
	// ErrNoSlot: no slot of that kind (or for that officer) exists.
	ErrNoSlot = errors.New("vault: no such key slot")
	// ErrWrongKey: the slot did not open with what was given (wrong
	// password, wrong secret, another box's TPM).
	ErrWrongKey = errors.New("vault: the key slot does not open with this key")
	// ErrMalformed: the slot file or a sealed file is damaged or foreign.
	ErrMalformed = errors.New("vault: malformed key slot file")
)

// Slot is one way to unwrap DK.
type Slot struct {
	Kind string `json:"kind"`
	// ID names the slot within its kind: for an officer, the keyed hash
	// of the user name (UserID), so the file does not list the accounts.
	ID string `json:"id,omitempty"`
	// Stamp is the officer account's stamp when the slot was made: a
	// changed password, role or a disabled account changes it, and the
	// slot is removed (see Prune).
	Stamp   string `json:"stamp,omitempty"`
	Salt    []byte `json:"salt,omitempty"` // officer: Argon2id salt
	Time    uint32 `json:"t,omitempty"`
	Memory  uint32 `json:"m,omitempty"` // KiB
	Threads uint8  `json:"p,omitempty"`
	// Unlock is the city slot's Ed25519 seed: the box's unlock key, the
	// one credential kept in the clear, whose only power is to ask the
	// city for the slot's secret (which it refuses once the box is
	// revoked).
	Unlock []byte `json:"unlock,omitempty"`
	// Pending is the city slot's secret sealed under DK while the city
	// does not hold it yet; it is dropped once escrowed.
	Pending []byte    `json:"pending,omitempty"`
	Blob    []byte    `json:"blob,omitempty"` // tpm: the KEK as the TPM sealed it
	Wrapped []byte    `json:"wrapped"`        // DK under the KEK
	Created time.Time `json:"created"`
}

// file is the slot file's JSON.
type file struct {
	Version int    `json:"version"`
	Node    string `json:"node"`
	Salt    []byte `json:"salt"`  // for officer slot IDs
	Box     []byte `json:"box"`   // X25519 public key sealed files are sealed to
	Store   []byte `json:"store"` // the store's master key under DK
	// Next is a master key the store is being rewritten under (under DK):
	// until PromoteMaster, the store may be under either.
	Next  []byte `json:"next,omitempty"`
	Slots []Slot `json:"slots"`
}

const fileVersion = 1

// maxFileBytes bounds the slot file read back: a few slots of a few
// hundred bytes each.
const maxFileBytes = 1 << 20

// Vault is an edge's key slots, locked (DK unknown) or unlocked. Its
// methods are safe for concurrent use.
type Vault struct {
	dir string

	mu gosync.Mutex
	f  file
	dk []byte // nil while locked
}

// Exists reports whether dir holds a slot file.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, FileName))
	return err == nil
}

// Create makes a new vault for node in dir with a fresh DK wrapping master
// (nil: a fresh random master key), and no slot: the caller adds one
// before the box is stopped, or nothing will open it. It refuses to
// replace an existing slot file. The vault is returned unlocked.
func Create(dir, node string, master []byte) (*Vault, error) {
	if Exists(dir) {
		return nil, fmt.Errorf("vault: %s already holds %s", dir, FileName)
	}
	if master == nil {
		master = random(keyLen)
	}
	if len(master) != keyLen {
		return nil, fmt.Errorf("vault: master key of %d bytes, want %d", len(master), keyLen)
	}
	v := &Vault{dir: dir, f: file{Version: fileVersion, Node: node, Salt: random(16)}}
	if err := v.setDK(random(keyLen), master); err != nil {
		return nil, err
	}
	return v, v.saveLocked()
}

// Empty is the vault of a box whose slots were destroyed (revoked): it has
// no slot, opens nothing, and is never written.
func Empty(dir, node string) *Vault {
	return &Vault{dir: dir, f: file{Version: fileVersion, Node: node}}
}

// Load reads dir's slot file; the vault is locked.
func Load(dir string) (*Vault, error) {
	b, err := readLimited(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, filepath.Join(dir, FileName))
	}
	return &Vault{dir: dir, f: *f}, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMalformed, path, maxFileBytes)
	}
	return b, nil
}

// parse decodes and checks a slot file.
func parse(b []byte) (*file, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case f.Version != fileVersion:
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMalformed, f.Version, fileVersion)
	case f.Node == "" || len(f.Salt) < 16 || len(f.Box) != 32 || len(f.Store) == 0:
		return nil, fmt.Errorf("%w: node, salt, box key or store key missing", ErrMalformed)
	}
	for _, s := range f.Slots {
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%w: %s slot %q: %v", ErrMalformed, s.Kind, s.ID, err)
		}
	}
	return &f, nil
}

func (s *Slot) check() error {
	if len(s.Wrapped) == 0 {
		return errors.New("no wrapped key")
	}
	switch s.Kind {
	case KindOfficer:
		if s.ID == "" || len(s.Salt) < 16 || s.Time == 0 || s.Time > 16 || s.Memory < 8 || s.Memory > 1<<18 || s.Threads == 0 {
			return errors.New("officer slot without ID, salt or sane Argon2id parameters")
		}
	case KindCity:
		if len(s.Unlock) != 32 {
			return errors.New("city slot without an unlock key")
		}
	case KindTPM:
		if len(s.Blob) == 0 {
			return errors.New("TPM slot without a sealed blob")
		}
	case KindFile:
	default:
		return errors.New("unknown kind")
	}
	return nil
}

// Node is the node the vault belongs to.
func (v *Vault) Node() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.f.Node
}

// Locked reports whether DK is unknown.
func (v *Vault) Locked() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.dk == nil
}

// Lock forgets DK (the memory is overwritten; copies the runtime made
// cannot be, which is why a locked box is also restarted by its operator
// when in doubt).
func (v *Vault) Lock() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.dk)
	v.dk = nil
}

// Slots lists the slots (kinds and IDs; no secrets).
func (v *Vault) Slots() []Slot {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Slot, len(v.f.Slots))
	for i, s := range v.f.Slots {
		out[i] = Slot{Kind: s.Kind, ID: s.ID, Stamp: s.Stamp, Created: s.Created, Pending: s.Pending}
	}
	return out
}

// Has reports whether a slot of kind exists (for an officer kind, any).
func (v *Vault) Has(kind string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.find(kind, "") >= 0
}

func (v *Vault) find(kind, id string) int {
	for i, s := range v.f.Slots {
		if s.Kind == kind && (id == "" || s.ID == id) {
			return i
		}
	}
	return -1
}

// derive is a key derived from DK for one purpose.
func derive(dk []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, dk, nil, "xanode vault v1 "+label, keyLen)
	if err != nil {
		panic(err) // only for lengths hkdf cannot give
	}
	return k
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func gcm(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(err)
	}
	return a
}

func seal(key, plain, ad []byte) []byte { return gcm(key).Seal(nil, nil, plain, ad) }

func open(key, sealed, ad []byte) ([]byte, error) {
	p, err := gcm(key).Open(nil, nil, sealed, ad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return p, nil
}

// slotAD names a slot in the additional data of its wrapped key, so a
// wrapped key moved to another slot, node or kind does not open.
func (v *Vault) slotAD(s *Slot) []byte {
	return []byte("xanode keyslot v1\x00" + v.f.Node + "\x00" + s.Kind + "\x00" + s.ID)
}

func (v *Vault) storeAD() []byte { return []byte("xanode store master v1\x00" + v.f.Node) }

// setDK makes dk the data key: master is wrapped under it and the box key
// derived from it. The caller holds mu (or owns v).
func (v *Vault) setDK(dk, master []byte) error {
	priv, err := ecdh.X25519().NewPrivateKey(derive(dk, "box x25519"))
	if err != nil {
		return err
	}
	v.f.Box = priv.PublicKey().Bytes()
	v.f.Store = seal(derive(dk, "store"), master, v.storeAD())
	v.dk = dk
	return nil
}

// unwrap tries a KEK on slot i; on success the vault is unlocked.
func (v *Vault) unwrap(i int, kek []byte) error {
	s := &v.f.Slots[i]
	dk, err := open(kek, s.Wrapped, v.slotAD(s))
	if err != nil {
		return err
	}
	if _, err := open(derive(dk, "store"), v.f.Store, v.storeAD()); err != nil {
		return fmt.Errorf("%w: the slot opened but the store key does not (mixed files?)", ErrMalformed)
	}
	v.dk = dk
	return nil
}

// put adds or replaces a slot wrapping DK under kek. Caller holds mu.
func (v *Vault) put(s Slot, kek []byte) {
	s.Created = time.Now().UTC()
	s.Wrapped = seal(kek, v.dk, v.slotAD(&s))
	if i := v.find(s.Kind, s.ID); i >= 0 {
		v.f.Slots[i] = s
		return
	}
	v.f.Slots = append(v.f.Slots, s)
}

// remove drops the slots matching; it reports how many. Caller holds mu.
func (v *Vault) remove(match func(*Slot) bool) int {
	kept := v.f.Slots[:0]
	n := 0
	for i := range v.f.Slots {
		if match(&v.f.Slots[i]) {
			n++
			continue
		}
		kept = append(kept, v.f.Slots[i])
	}
	v.f.Slots = kept
	return n
}

// Master returns the store's master key.
func (v *Vault) Master() ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return nil, ErrLocked
	}
	return open(derive(v.dk, "store"), v.f.Store, v.storeAD())
}

// SetMaster wraps a new store master key under DK (the store was rewritten
// under it) and saves the file.
func (v *Vault) SetMaster(master []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	v.f.Store = seal(derive(v.dk, "store"), master, v.storeAD())
	return v.saveLocked()
}

// SetNextMaster records, under DK, the master key the store is about to be
// rewritten under, beside the current one, so that a crash during the
// rewrite leaves a key for whichever file is in place.
func (v *Vault) SetNextMaster(master []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	v.f.Next = seal(derive(v.dk, "store"), master, v.storeAD())
	return v.saveLocked()
}

// NextMaster returns the key SetNextMaster recorded (nil: none).
func (v *Vault) NextMaster() ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.f.Next == nil {
		return nil, nil
	}
	if v.dk == nil {
		return nil, ErrLocked
	}
	return open(derive(v.dk, "store"), v.f.Next, v.storeAD())
}

// PromoteMaster makes the next master key the store's master key, and
// forgets the old one: the store was rewritten under it.
func (v *Vault) PromoteMaster() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.f.Next == nil {
		return nil
	}
	v.f.Store, v.f.Next = v.f.Next, nil
	return v.saveLocked()
}

// sealedInfo binds a sealed file to the node and the file's name.
func (v *Vault) sealedInfo(name string) []byte {
	return []byte("xanode sealed file v1\x00" + v.f.Node + "\x00" + name)
}

var (
	hpkeKEM  = hpke.DHKEM(ecdh.X25519())
	hpkeKDF  = hpke.HKDFSHA256()
	hpkeAEAD = hpke.AES256GCM()
)

// Seal encrypts a private key file's contents to the box key: anyone may
// seal (enrollment does, on a locked box), only DK opens.
func (v *Vault) Seal(name string, plain []byte) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	pub, err := ecdh.X25519().NewPublicKey(v.f.Box)
	if err != nil {
		return nil, err
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return hpke.Seal(pk, hpkeKDF, hpkeAEAD, v.sealedInfo(name), plain)
}

// Open decrypts what Seal sealed under name.
func (v *Vault) Open(name string, sealed []byte) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return nil, ErrLocked
	}
	priv, err := ecdh.X25519().NewPrivateKey(derive(v.dk, "box x25519"))
	if err != nil {
		return nil, err
	}
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	p, err := hpke.Open(k, hpkeKDF, hpkeAEAD, v.sealedInfo(name), sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed file %s does not open with this box's key", ErrMalformed, name)
	}
	return p, nil
}

// save writes the slot file.
func (v *Vault) save() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.saveLocked()
}

func (v *Vault) saveLocked() error {
	b, err := json.MarshalIndent(&v.f, "", " ")
	if err != nil {
		return err
	}
	return WriteFile(filepath.Join(v.dir, FileName), append(b, '\n'))
}

// WriteFile writes data to path, mode 0600: beside it first, synced, then
// renamed over it, and the folder synced, so a crash leaves the old file
// or the new one.
func WriteFile(path string, data []byte) error {
	tmp := path + ".next"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Shred overwrites a file with random bytes, syncs it and removes it (a
// missing file is no error). On a copy-on-write or flash file system the
// old blocks may survive the overwrite; what makes them useless is that
// the keys they need are gone (crypto-erase).
func Shred(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(random(int(max(st.Size(), 1))))
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if rerr := os.Remove(path); err == nil {
		err = rerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	return err
}

// Destroy crypto-erases the vault: the slot file is overwritten with
// random bytes, synced and removed, and DK is forgotten. Nothing opens
// the store afterwards.
func (v *Vault) Destroy() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.dk)
	v.dk = nil
	v.f.Slots = nil
	os.Remove(filepath.Join(v.dir, FileName+".next"))
	return Shred(filepath.Join(v.dir, FileName))
}
