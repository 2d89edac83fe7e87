package edge

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Personal data is encrypted at rest (DESIGN.md, "Signed subsets"). One 256-bit master
// key — held in the node's key slots (package node/vault, OpenStoreKey), or
// for tests and folders of older versions in a key file beside the store
// (OpenStore) — yields through HKDF-SHA256:
//
//   - an AES-256-GCM key: every stored record, change, outcome, audit
//     entry, officer account, officer UI session and partial download is
//     sealed with a random 96-bit nonce, and its additional data names the
//     bucket and the key it is stored under, so a ciphertext moved to
//     another slot does not open;
//   - an HMAC-SHA256 key for index keys: the subset is keyed by the keyed
//     hash of the personal ID, and the name, birth year and household
//     indexes by keyed hashes of those values, so the file shows neither
//     who is in the subset nor who shares a name or a household, yet a
//     lookup is one hash and one B-tree search;
//   - a key check value, kept in the store, so that a wrong key file is
//     refused at startup instead of showing up as failed reads.
//
// Random nonces bound the use of one key to about 2^32 seals; a full import
// of 100,000 records uses 100,000, so the bound is tens of thousands of
// full imports away.

// KeyFileName is the store's key file, in the same folder as the store.
const KeyFileName = "store.key"

// ErrKey is wrapped by every error about the key file or a record that the
// key does not open.
var ErrKey = errors.New("edge: store key")

// hashSize is the length of index keys: 128 bits of HMAC-SHA256 make
// collisions between a commune's values negligible.
const hashSize = 16

// keys are the working keys derived from the key file.
type keys struct {
	aead  cipher.AEAD
	check []byte
	macs  sync.Pool // of hash.Hash keyed with the index key
}

func deriveKeys(master []byte) (*keys, error) {
	derive := func(label string) ([]byte, error) {
		return hkdf.Key(sha256.New, master, nil, "xanode edge store v1 "+label, 32)
	}
	enc, err := derive("records")
	if err != nil {
		return nil, err
	}
	idx, err := derive("index")
	if err != nil {
		return nil, err
	}
	check, err := derive("check")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	k := &keys{aead: aead, check: check[:hashSize]}
	k.macs.New = func() any { return hmac.New(sha256.New, idx) }
	return k, nil
}

// aad is the additional data of a value stored under key in bucket.
func aad(bucket, key []byte) []byte {
	b := make([]byte, 0, len(bucket)+1+len(key))
	b = append(b, bucket...)
	b = append(b, 0)
	return append(b, key...)
}

// seal encrypts plain for storage under key in bucket.
func (k *keys) seal(bucket, key, plain []byte) []byte {
	return k.aead.Seal(nil, nil, plain, aad(bucket, key))
}

// open decrypts what seal stored under key in bucket.
func (k *keys) open(bucket, key, sealed []byte) ([]byte, error) {
	return k.openAppend(nil, bucket, key, sealed)
}

// openAppend is open appending the plain text to dst.
func (k *keys) openAppend(dst, bucket, key, sealed []byte) ([]byte, error) {
	plain, err := k.aead.Open(dst, nil, sealed, aad(bucket, key))
	if err != nil {
		return nil, fmt.Errorf("%w: %s entry %x does not decrypt (wrong key, or the file was altered)", ErrKey, bucket, key)
	}
	return plain, nil
}

// hash is the index key of value in the index named label.
func (k *keys) hash(label string, value string) []byte {
	return k.appendHash(make([]byte, 0, hashSize), label, value)
}

func (k *keys) appendHash(dst []byte, label string, value string) []byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	dst = append(dst, m.Sum(sum[:0])[:hashSize]...)
	k.macs.Put(m)
	return dst
}

func (k *keys) checkValue() []byte { return k.check }

func (k *keys) matches(check []byte) bool { return subtle.ConstantTimeCompare(check, k.check) == 1 }

// readKeyFile reads a key file: 64 hexadecimal digits, readable by its
// owner only.
func readKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return nil, fmt.Errorf("%w: key file %s has mode %04o and can be read by others; run chmod 600 %s", ErrKey, path, mode, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: key file %s must hold 64 hexadecimal digits", ErrKey, path)
	}
	return key, nil
}

// createKeyFile writes a new random key, refusing to replace a file, and
// syncs it and its folder so the key survives a crash before the store
// records its check value.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: creating key file: %w", ErrKey, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%w: writing key file %s: %w", ErrKey, path, err)
	}
	return key, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadKeys reads the key file, or creates it when the store is new (has
// no check value yet). A store with a check value and no key file is an
// error: a new key could not read it.
func loadKeys(path string, storeHasKey bool) (*keys, error) {
	master, err := readKeyFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !storeHasKey:
		master, err = createKeyFile(path)
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: key file %s is missing, and the store beside it was encrypted with it; "+
			"restore the key file from the node's backup (or, to start afresh, move the store away: "+
			"the subset is downloaded again, but changes not yet sent would be lost)", ErrKey, path)
	case err != nil && !errors.Is(err, ErrKey):
		err = fmt.Errorf("%w: key file %s: %w", ErrKey, path, err)
	}
	if err != nil {
		return nil, err
	}
	return deriveKeys(master)
}
