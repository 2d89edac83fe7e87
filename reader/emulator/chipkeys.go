package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/keys"
)

// ChipKeysFile is the file beside a card's EFs that holds the chip's
// private keys, so `xanode card emulate` can run Chip and Active
// Authentication. Card readers ignore it (shared/cards ignores *.pem).
const ChipKeysFile = "chip-keys.pem"

// PEM header naming what a key is for.
const (
	pemUse           = "Use"
	useCA            = "chip-authentication"
	useAA            = "active-authentication"
	pemCipher        = "Cipher"
	blockECKey       = "EC PRIVATE KEY"
	blockRSAKey      = "RSA PRIVATE KEY"
	ecPrivateKeyVers = 1
)

// ecPrivateKey is SEC 1's ECPrivateKey with a named curve, written here
// because crypto/x509 refuses brainpool curves.
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
}

// WriteChipKeys writes k's private keys into dir/ChipKeysFile (mode 0600).
func WriteChipKeys(dir string, k ChipKeys) error {
	var out []byte
	if k.CA != nil {
		b, err := marshalECKey(k.CA)
		if err != nil {
			return err
		}
		c := k.CACipher
		if c == 0 {
			c = emrtd.AES128
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: blockECKey, Headers: map[string]string{pemUse: useCA, pemCipher: fmt.Sprint(int(c))}, Bytes: b})...)
	}
	if k.AA != nil {
		var block *pem.Block
		switch key := k.AA.(type) {
		case *ecdsa.PrivateKey:
			b, err := marshalECKey(key)
			if err != nil {
				return err
			}
			block = &pem.Block{Type: blockECKey, Bytes: b}
		default:
			b, err := x509.MarshalPKCS8PrivateKey(k.AA)
			if err != nil {
				return fmt.Errorf("emulator: active authentication key: %w", err)
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
		}
		block.Headers = map[string]string{pemUse: useAA}
		out = append(out, pem.EncodeToMemory(block)...)
	}
	if len(out) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, ChipKeysFile), out, 0o600); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}

// LoadChipKeys reads dir/ChipKeysFile; a card without it has no keys.
func LoadChipKeys(dir string) (ChipKeys, error) {
	var k ChipKeys
	b, err := os.ReadFile(filepath.Join(dir, ChipKeysFile))
	if errors.Is(err, os.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("emulator: %w", err)
	}
	for {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			break
		}
		if err := k.add(block); err != nil {
			return k, fmt.Errorf("emulator: %s: %w", ChipKeysFile, err)
		}
	}
	return k, nil
}

func (k *ChipKeys) add(block *pem.Block) error {
	switch block.Headers[pemUse] {
	case useCA:
		key, err := parseECKey(block.Bytes)
		if err != nil {
			return err
		}
		var c int
		fmt.Sscan(block.Headers[pemCipher], &c)
		k.CA, k.CACipher = key, emrtd.Cipher(c)
	case useAA:
		if block.Type == blockECKey {
			key, err := parseECKey(block.Bytes)
			k.AA = key
			return err
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return err
		}
		aa, ok := key.(crypto.Signer)
		if !ok {
			return fmt.Errorf("active authentication key of type %T", key)
		}
		k.AA = aa
	default:
		return fmt.Errorf("PEM block %q for %q", block.Type, block.Headers[pemUse])
	}
	return nil
}

func marshalECKey(k *ecdsa.PrivateKey) ([]byte, error) {
	c, ok := keys.Of(k.Curve)
	if !ok {
		return nil, fmt.Errorf("emulator: curve %s", k.Curve.Params().Name)
	}
	size := (c.Params().N.BitLen() + 7) / 8
	return asn1.Marshal(ecPrivateKey{Version: ecPrivateKeyVers, PrivateKey: k.D.FillBytes(make([]byte, size)), Curve: c.OID})
}

func parseECKey(der []byte) (*ecdsa.PrivateKey, error) {
	var e ecPrivateKey
	if _, err := asn1.Unmarshal(der, &e); err != nil {
		return nil, fmt.Errorf("EC private key: %w", err)
	}
	c, ok := keys.CurveByOID(e.Curve)
	if !ok {
		return nil, fmt.Errorf("EC private key on curve %v", e.Curve)
	}
	d := new(big.Int).SetBytes(e.PrivateKey)
	if d.Sign() <= 0 || d.Cmp(c.Params().N) >= 0 {
		return nil, fmt.Errorf("EC private key out of range")
	}
	x, y := c.ScalarBaseMult(e.PrivateKey)
	return &ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: c.Curve, X: x, Y: y}, D: d}, nil
}
