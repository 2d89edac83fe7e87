package emrtd

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
)

// CMAC computes AES-CMAC (RFC 4493, NIST SP 800-38B) of msg with the block
// cipher b and returns the full 16-byte tag; ICAO 9303 keeps the first 8.
// It is small enough to own rather than depend on a module for it.
func CMAC(b cipher.Block, msg []byte) []byte {
	const bs = aes.BlockSize
	k1, k2 := cmacSubkeys(b)
	n := (len(msg) + bs - 1) / bs
	last := make([]byte, bs)
	if n > 0 && len(msg)%bs == 0 {
		subtle.XORBytes(last, msg[(n-1)*bs:], k1)
	} else {
		if n == 0 {
			n = 1
		}
		rest := msg[(n-1)*bs:]
		copy(last, rest)
		last[len(rest)] = 0x80
		subtle.XORBytes(last, last, k2)
	}
	x := make([]byte, bs)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, msg[i*bs:(i+1)*bs])
		b.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	b.Encrypt(x, x)
	return x
}

// cmacSubkeys derives K1 and K2 from L = E(K, 0^128) by doubling in
// GF(2^128).
func cmacSubkeys(b cipher.Block) (k1, k2 []byte) {
	l := make([]byte, aes.BlockSize)
	b.Encrypt(l, l)
	k1 = double(l)
	return k1, double(k1)
}

func double(in []byte) []byte {
	out := make([]byte, len(in))
	var carry byte
	for i := len(in) - 1; i >= 0; i-- {
		out[i] = in[i]<<1 | carry
		carry = in[i] >> 7
	}
	if carry != 0 {
		out[len(out)-1] ^= 0x87
	}
	return out
}

type aesSuite struct {
	enc, mac cipher.Block
}

// NewAESSuite returns the AES suite of secure messaging after PACE or Chip
// Authentication (ICAO 9303-11 9.8.6.2/9.8.7.2): AES-CBC with IV =
// E(KSenc, SSC) over a 16-byte SSC, and AES-CMAC cut to 8 bytes. Keys are
// 16, 24 or 32 bytes.
func NewAESSuite(ksEnc, ksMac []byte) (Suite, error) {
	enc, err := aes.NewCipher(ksEnc)
	if err != nil {
		return nil, fmt.Errorf("emrtd: KSenc: %w", err)
	}
	mac, err := aes.NewCipher(ksMac)
	if err != nil {
		return nil, fmt.Errorf("emrtd: KSmac: %w", err)
	}
	return &aesSuite{enc: enc, mac: mac}, nil
}

func (s *aesSuite) BlockSize() int { return aes.BlockSize }

func (s *aesSuite) iv(ssc []byte) []byte {
	iv := make([]byte, aes.BlockSize)
	s.enc.Encrypt(iv, ssc)
	return iv
}

func (s *aesSuite) Encrypt(ssc, padded []byte) ([]byte, error) {
	return cbc(s.enc, s.iv(ssc), padded, true)
}

func (s *aesSuite) Decrypt(ssc, ct []byte) ([]byte, error) {
	return cbc(s.enc, s.iv(ssc), ct, false)
}

func (s *aesSuite) MAC(padded []byte) ([]byte, error) {
	return CMAC(s.mac, padded)[:macLen], nil
}

// NewSuite returns the secure messaging suite of a cipher with session
// keys derived from the shared secret k by the KDF, and its start SSC
// (zero, one block long), as PACE and Chip Authentication set them up.
func NewSuite(c Cipher, k []byte) (*SecureMessaging, error) {
	enc, err := KDF(c, k, CounterEnc)
	if err != nil {
		return nil, err
	}
	mac, err := KDF(c, k, CounterMAC)
	if err != nil {
		return nil, err
	}
	var s Suite
	if c == TDES {
		s, err = NewTDESSuite(enc, mac)
	} else {
		s, err = NewAESSuite(enc, mac)
	}
	if err != nil {
		return nil, err
	}
	return NewSecureMessaging(s, make([]byte, s.BlockSize()))
}
