package emulator

import (
	"crypto/ecdsa"

	"github.com/xanode/xanode/reader/trust/trusttest"
)

// NewChipKeys makes a chip's anti-cloning keys: a brainpoolP256r1 key for
// Chip Authentication (DG14) when ca, an RSA-1024 key for Active
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
		key, err := trusttest.GenerateKey("RSA-1024")
		if err != nil {
			return k, err
		}
		k.AA = key
	}
	return k, nil
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
	if err := AddChipKeys(files, chip, pki.DocumentSigner); err != nil {
		return err
	}
	if withPACE {
		if err := AddPACE(files); err != nil {
			return err
		}
	}
	if err := WriteDir(dir, files); err != nil {
		return err
	}
	if err := WriteChipKeys(dir, chip); err != nil {
		return err
	}
	return pki.WritePEM(dir)
}
