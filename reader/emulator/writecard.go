package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"strconv"
	"strings"

	"github.com/xanode/xanode/reader/trust/trusttest"
)

// DefaultAAKey is the Active Authentication key a made card gets:
// RSA-2048, the least ICAO 9303-11 recommends.
const DefaultAAKey = "RSA-2048"

// minAARSABits is ICAO 9303-11's recommended minimum RSA modulus for
// Active Authentication.
const minAARSABits = 2048

// NewChipKeys makes a chip's anti-cloning keys: a brainpoolP256r1 key for
// Chip Authentication (DG14) when ca, a DefaultAAKey key for Active
// Authentication (DG15) when aa.
func NewChipKeys(ca, aa bool) (ChipKeys, error) {
	var k ChipKeys
	if ca {
		key, err := trusttest.GenerateKey("brainpoolP256r1")
		if err != nil {
			return k, err
		}
		k.CA, _ = key.(*ecdsa.PrivateKey)
	}
	if aa {
		key, err := NewAAKey(DefaultAAKey)
		if err != nil {
			return k, err
		}
		k.AA = key
	}
	return k, nil
}

// NewAAKey makes an Active Authentication key: "RSA-2048" to "RSA-4096",
// or an ECDSA key on a curve package keys knows ("brainpoolP256r1",
// "P-256", ...), whose DG14 then names ECDSA with SHA-256. RSA keys
// under 2048 bits are refused, as ICAO 9303-11 recommends.
func NewAAKey(alg string) (crypto.Signer, error) {
	if bits, ok := strings.CutPrefix(alg, "RSA-"); ok {
		if n, err := strconv.Atoi(bits); err != nil || n < minAARSABits || n > 4096 {
			return nil, fmt.Errorf("emulator: active authentication key %q: RSA keys from RSA-%d to RSA-4096", alg, minAARSABits)
		}
	}
	key, err := trusttest.GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("emulator: active authentication key: %w", err)
	}
	return key, nil
}

// WriteCard issues a card for p under the test PKI, with the chip's keys
// (DG14/DG15) and, when withPACE, an EF.CardAccess announcing PACE, and
// writes it into dir with its certificates (csca.pem, ds.pem) and the
// chip's private keys.
func WriteCard(dir string, p Person, pki *TestPKI, chip ChipKeys, withPACE bool) error {
	files, err := Build(p, pki.DocumentSigner)
	if err != nil {
		return err
	}
	if withPACE {
		if err := AddPACE(files); err != nil {
			return err
		}
	}
	if err := AddChipKeys(files, chip, pki.DocumentSigner); err != nil {
		return err
	}
	if err := WriteDir(dir, files); err != nil {
		return err
	}
	if err := WriteChipKeys(dir, chip); err != nil {
		return err
	}
	return pki.WritePEM(dir)
}
