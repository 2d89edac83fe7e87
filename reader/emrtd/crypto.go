package emrtd

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Cipher names the block cipher of a secure messaging session, which also
// fixes how the KDF derives its keys (ICAO 9303-11 9.7.1).
type Cipher int

// Ciphers of ICAO 9303-11. BAC uses TDES; PACE and Chip Authentication
// announce one of these in their protocol OIDs.
const (
	TDES   Cipher = iota + 1 // 2-key 3DES, keys from SHA-1 with DES parity
	AES128                   // keys from SHA-1
	AES192                   // keys from SHA-256
	AES256                   // keys from SHA-256
)

// KDF counters of ICAO 9303-11 9.7.1.
const (
	CounterEnc      uint32 = 1 // Kenc / KSenc
	CounterMAC      uint32 = 2 // Kmac / KSmac
	CounterPassword uint32 = 3 // K_pi of PACE
)

// KeySize returns the key length in bytes.
func (c Cipher) KeySize() int {
	switch c {
	case TDES, AES128:
		return 16
	case AES192:
		return 24
	case AES256:
		return 32
	}
	return 0
}

func (c Cipher) String() string {
	switch c {
	case TDES:
		return "3DES"
	case AES128:
		return "AES-128"
	case AES192:
		return "AES-192"
	case AES256:
		return "AES-256"
	}
	return fmt.Sprintf("Cipher(%d)", int(c))
}

// KDF derives a key from the shared secret k: the hash of k followed by the
// 32-bit big-endian counter, cut to the key size; 3DES keys also get their
// DES parity bits set.
func KDF(c Cipher, k []byte, counter uint32) ([]byte, error) {
	in := binary.BigEndian.AppendUint32(append(make([]byte, 0, len(k)+4), k...), counter)
	var out []byte
	switch c {
	case TDES, AES128:
		h := sha1.Sum(in)
		out = h[:16]
	case AES192, AES256:
		h := sha256.Sum256(in)
		out = h[:c.KeySize()]
	default:
		return nil, fmt.Errorf("emrtd: KDF for unknown cipher %v", c)
	}
	if c == TDES {
		setDESParity(out)
	}
	return out, nil
}

// setDESParity gives every byte odd parity, as DES keys carry it in bit 0.
func setDESParity(k []byte) {
	for i, b := range k {
		if bits.OnesCount8(b&0xFE)%2 == 0 {
			k[i] = b | 1
		} else {
			k[i] = b & 0xFE
		}
	}
}

// Pad applies ISO/IEC 9797-1 padding method 2: 0x80, then zeros up to a
// multiple of blockSize (always at least one byte).
func Pad(data []byte, blockSize int) []byte {
	n := len(data) + 1
	n += (blockSize - n%blockSize) % blockSize
	out := make([]byte, n)
	copy(out, data)
	out[len(data)] = 0x80
	return out
}

// Unpad removes padding method 2, which must be 1 to blockSize bytes long.
func Unpad(data []byte, blockSize int) ([]byte, error) {
	for i := len(data) - 1; i >= 0 && i >= len(data)-blockSize; i-- {
		if data[i] == 0x80 {
			return data[:i], nil
		}
		if data[i] != 0 {
			break
		}
	}
	return nil, fmt.Errorf("%w: bad ISO 9797-1 padding", ErrSecureMessaging)
}

// retailMAC is ISO/IEC 9797-1 MAC algorithm 3 with DES: CBC-MAC under K1
// with a zero IV, then decrypt with K2 and encrypt with K1 (output
// transformation 3). data must be padded already.
func retailMAC(k1, k2 cipher.Block, data []byte) []byte {
	var h [8]byte
	for i := 0; i < len(data); i += 8 {
		for j := 0; j < 8; j++ {
			h[j] ^= data[i+j]
		}
		k1.Encrypt(h[:], h[:])
	}
	k2.Decrypt(h[:], h[:])
	k1.Encrypt(h[:], h[:])
	return h[:]
}

// RetailMAC computes ISO/IEC 9797-1 MAC algorithm 3 (DES, 2-key, zero IV)
// of data, whose length must be a multiple of 8 (pad it with Pad first
// where the protocol says so).
func RetailMAC(key, data []byte) ([]byte, error) {
	k1, k2, err := macKeys(key)
	if err != nil {
		return nil, err
	}
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("emrtd: retail MAC over %d bytes, not a multiple of 8", len(data))
	}
	return retailMAC(k1, k2, data), nil
}

func macKeys(key []byte) (k1, k2 cipher.Block, err error) {
	if len(key) != 16 {
		return nil, nil, fmt.Errorf("emrtd: 2-key 3DES key of %d bytes, want 16", len(key))
	}
	if k1, err = des.NewCipher(key[:8]); err != nil {
		return nil, nil, err
	}
	if k2, err = des.NewCipher(key[8:]); err != nil {
		return nil, nil, err
	}
	return k1, k2, nil
}

// newTDES returns 2-key 3DES (K1 K2 K1).
func newTDES(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("emrtd: 2-key 3DES key of %d bytes, want 16", len(key))
	}
	k := make([]byte, 24)
	copy(k, key)
	copy(k[16:], key[:8])
	return des.NewTripleDESCipher(k)
}

// cbc enciphers or deciphers whole blocks in CBC mode with the given IV.
func cbc(b cipher.Block, iv, data []byte, encrypt bool) ([]byte, error) {
	if len(data)%b.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: %d bytes of cryptogram, not whole blocks", ErrProtocol, len(data))
	}
	out := make([]byte, len(data))
	if encrypt {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	}
	return out, nil
}
