package emrtd

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// tagEncryptedCAData is DO'8A' of the last GENERAL AUTHENTICATE answer:
// the encrypted chip authentication data A_IC of PACE-CAM.
const tagEncryptedCAData iso7816.Tag = 0x8A

// CAMProof is what PACE with Chip Authentication Mapping leaves for the
// terminal to check once it has DG14: the chip's mapping key PK_Map,IC and
// its chip authentication data CA_IC = SK_IC⁻¹·SK_Map,IC mod n, decrypted
// from A_IC (ICAO 9303-11 4.4.3.5). Only the chip that holds SK_IC can
// make them agree with its static key PK_IC.
type CAMProof struct {
	curve      *keys.Curve
	mapX, mapY *big.Int // PK_Map,IC
	ca         []byte   // CA_IC, as long as the group order; nil when err is set
	// err says why the chip's A_IC cannot be used: missing, or not
	// deciphering to a number in [1, n-1] (a chip without SK_IC).
	err error
}

// Verify checks PK_Map,IC = CA_IC·PK_IC for the chip's static public key
// from DG14. A chip that does not hold the key's private half fails with
// ErrChipAuthentication; a key of another type or on another curve than
// PACE's is ErrUnsupported. The proof is worth as much as the key: DG14
// must pass passive authentication.
func (p *CAMProof) Verify(key ChipAuthenticationKey) error {
	pub, ok := key.Key.(*ecdsa.PublicKey)
	if !ok || !key.Protocol.Equal(OIDPKECDH) {
		return fmt.Errorf("PACE-CAM: %w: chip authentication key %v of type %T", ErrUnsupported, key.Protocol, key.Key)
	}
	if pub.Curve != p.curve.Curve {
		return fmt.Errorf("PACE-CAM: %w: chip authentication key on %s, PACE on %s", ErrUnsupported, pub.Curve.Params().Name, p.curve.Name)
	}
	if p.err != nil {
		return p.err
	}
	x, y := p.curve.ScalarMult(pub.X, pub.Y, p.ca)
	if x.Cmp(p.mapX) != 0 || y.Cmp(p.mapY) != 0 {
		return fmt.Errorf("PACE-CAM: %w: CA_IC·PK_IC is not the chip's mapping key", ErrChipAuthentication)
	}
	return nil
}

// camProof reads the last GENERAL AUTHENTICATE answer (the content of its
// 7C object) of a PACE-CAM run with shared secret k.
func (p pace) camProof(k, answer []byte, mapX, mapY *big.Int) *CAMProof {
	proof := &CAMProof{curve: p.curve, mapX: mapX, mapY: mapY}
	aIC, found, err := iso7816.Find(answer, tagEncryptedCAData)
	if err != nil || !found {
		proof.err = fmt.Errorf("PACE-CAM: %w: the chip sent no encrypted chip authentication data (DO'8A')", ErrChipAuthentication)
		return proof
	}
	if proof.ca, err = p.decryptCAData(k, aIC); err != nil {
		proof.err = fmt.Errorf("PACE-CAM: %w: %w", ErrChipAuthentication, err)
	}
	return proof
}

// caDataCipher is AES under KSenc = KDF(k, 1) in CBC mode with the IV
// E(KSenc, -1), -1 being the 128-bit string of ones (ICAO 9303-11
// 4.4.3.5.4).
func (p pace) caDataCipher(k []byte) (b cipher.Block, iv []byte, err error) {
	ksEnc, err := KDF(p.cipher, k, CounterEnc)
	if err != nil {
		return nil, nil, err
	}
	if b, err = aes.NewCipher(ksEnc); err != nil {
		return nil, nil, err
	}
	iv = make([]byte, aes.BlockSize)
	for i := range iv {
		iv[i] = 0xFF
	}
	b.Encrypt(iv, iv)
	return b, iv, nil
}

// decryptCAData deciphers A_IC and parses CA_IC.
func (p pace) decryptCAData(k, aIC []byte) ([]byte, error) {
	b, iv, err := p.caDataCipher(k)
	if err != nil {
		return nil, err
	}
	if len(aIC) == 0 || len(aIC)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("encrypted chip authentication data of %d bytes, not whole blocks", len(aIC))
	}
	plain, err := cbc(b, iv, aIC, false)
	if err != nil {
		return nil, err
	}
	return p.parseCAData(plain)
}

// parseCAData takes CA_IC from the deciphered, padded A_IC: FE2OS of a
// number in [1, n-1], as many bytes as the group order n, then padding
// method 2 (ICAO 9303-11 4.4.5.6, 4.4.3.5.3).
func (p pace) parseCAData(plain []byte) ([]byte, error) {
	if len(plain)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("chip authentication data of %d bytes, not whole blocks", len(plain))
	}
	v, err := Unpad(plain, aes.BlockSize)
	if err != nil {
		return nil, fmt.Errorf("chip authentication data badly padded")
	}
	n := p.curve.Params().N
	if len(v) != (n.BitLen()+7)/8 {
		return nil, fmt.Errorf("chip authentication data of %d bytes, want %d", len(v), (n.BitLen()+7)/8)
	}
	if ca := new(big.Int).SetBytes(v); ca.Sign() == 0 || ca.Cmp(n) >= 0 {
		return nil, fmt.Errorf("chip authentication data out of range")
	}
	return v, nil
}

// chipAuthenticationData is the chip's CA_IC = SK_IC⁻¹·SK_Map,IC mod n,
// as many bytes as the group order n.
func (p pace) chipAuthenticationData(static *ecdsa.PrivateKey, skMap []byte) ([]byte, error) {
	n := p.curve.Params().N
	inv := new(big.Int).ModInverse(static.D, n)
	if inv == nil {
		return nil, fmt.Errorf("emrtd: chip authentication key not invertible")
	}
	ca := inv.Mul(inv, new(big.Int).SetBytes(skMap))
	return ca.Mod(ca, n).FillBytes(make([]byte, (n.BitLen()+7)/8)), nil
}

// encryptCAData is the chip's A_IC = E(KSenc, pad(CA_IC)).
func (p pace) encryptCAData(k, ca []byte) ([]byte, error) {
	b, iv, err := p.caDataCipher(k)
	if err != nil {
		return nil, err
	}
	return cbc(b, iv, Pad(ca, aes.BlockSize), true)
}
