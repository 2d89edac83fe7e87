package emrtd

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	"github.com/xanode/xanode/reader/iso7816"
)

// Suite is the cryptography of one secure messaging session. BAC gives a
// 3DES suite (NewTDESSuite); PACE and Chip Authentication with AES give an
// AES suite with a 16-byte SSC and the same SecureMessaging on top.
//
// A Suite holds session keys only and no state: it is safe for concurrent
// use, but a SecureMessaging that uses it is not.
type Suite interface {
	// BlockSize is the cipher's block size, which is also the padding unit
	// and the length of the send sequence counter.
	BlockSize() int
	// Encrypt enciphers padded plaintext for the message numbered ssc
	// (3DES ignores ssc and uses a zero IV; AES uses IV = E(KSenc, SSC)).
	Encrypt(ssc, padded []byte) ([]byte, error)
	// Decrypt is the inverse of Encrypt; the result is still padded.
	Decrypt(ssc, ciphertext []byte) ([]byte, error)
	// MAC returns the 8-byte cryptographic checksum of padded data.
	MAC(padded []byte) ([]byte, error)
}

type tdesSuite struct {
	enc    cipher.Block
	m1, m2 cipher.Block
}

// NewTDESSuite returns the 3DES suite of BAC secure messaging (ICAO 9303-11
// 9.8.6.1): 3DES-CBC with a zero IV, and the retail MAC.
func NewTDESSuite(ksEnc, ksMac []byte) (Suite, error) {
	enc, err := newTDES(ksEnc)
	if err != nil {
		return nil, err
	}
	m1, m2, err := macKeys(ksMac)
	if err != nil {
		return nil, err
	}
	return &tdesSuite{enc: enc, m1: m1, m2: m2}, nil
}

var zeroIV [8]byte

func (s *tdesSuite) BlockSize() int { return 8 }

func (s *tdesSuite) Encrypt(_, padded []byte) ([]byte, error) {
	return cbc(s.enc, zeroIV[:], padded, true)
}

func (s *tdesSuite) Decrypt(_, ct []byte) ([]byte, error) {
	return cbc(s.enc, zeroIV[:], ct, false)
}

func (s *tdesSuite) MAC(padded []byte) ([]byte, error) {
	if len(padded)%8 != 0 {
		return nil, fmt.Errorf("emrtd: MAC over %d bytes, not whole blocks", len(padded))
	}
	return retailMAC(s.m1, s.m2, padded), nil
}

// Secure messaging data objects (ICAO 9303-11 9.8, ISO 7816-4 10).
const (
	doCryptogramOdd iso7816.Tag = 0x85 // cryptogram, for odd INS
	doCryptogram    iso7816.Tag = 0x87 // padding indicator + cryptogram
	doLe            iso7816.Tag = 0x97
	doStatus        iso7816.Tag = 0x99
	doMAC           iso7816.Tag = 0x8E
)

const (
	claSM      = 0x0C // CLA bits: SM, command header authenticated
	paddingInd = 0x01 // DO'87' padding indicator: ISO 9797-1 method 2
	macLen     = 8
)

// SecureMessaging wraps and unwraps APDUs of one session and keeps its send
// sequence counter (SSC), which is incremented before each command and
// before each response. Both sides of the channel use it: the terminal calls
// Protect and Unprotect, a card (the emulator) calls UnprotectCommand and
// ProtectResponse.
//
// It is not safe for concurrent use: messages must stay in order anyway.
// After any error the session is broken and must not be used again.
type SecureMessaging struct {
	suite Suite
	ssc   []byte
}

// NewSecureMessaging starts a session at the given SSC, which must be one
// block long.
func NewSecureMessaging(s Suite, ssc []byte) (*SecureMessaging, error) {
	if len(ssc) != s.BlockSize() {
		return nil, fmt.Errorf("emrtd: SSC of %d bytes, want %d", len(ssc), s.BlockSize())
	}
	return &SecureMessaging{suite: s, ssc: append([]byte(nil), ssc...)}, nil
}

// SSC returns a copy of the current send sequence counter.
func (sm *SecureMessaging) SSC() []byte { return append([]byte(nil), sm.ssc...) }

func (sm *SecureMessaging) incrementSSC() {
	for i := len(sm.ssc) - 1; i >= 0; i-- {
		sm.ssc[i]++
		if sm.ssc[i] != 0 {
			return
		}
	}
}

// mac computes the checksum over SSC || input, padded.
func (sm *SecureMessaging) mac(input []byte) ([]byte, error) {
	n := make([]byte, 0, len(sm.ssc)+len(input))
	n = append(append(n, sm.ssc...), input...)
	return sm.suite.MAC(Pad(n, sm.suite.BlockSize()))
}

// Protect wraps a plain command: CLA gets the SM bits, data go into DO'87'
// (DO'85' for an odd INS), Ne into DO'97', and DO'8E' authenticates the
// padded header and those objects.
func (sm *SecureMessaging) Protect(c iso7816.Command) (iso7816.Command, error) {
	if c.CLA&claSM != 0 {
		return iso7816.Command{}, fmt.Errorf("emrtd: command CLA %02X is already secure messaging", c.CLA)
	}
	header := []byte{c.CLA | claSM, c.INS, c.P1, c.P2}
	sm.incrementSSC()
	dos, err := sm.commandObjects(c)
	if err != nil {
		return iso7816.Command{}, err
	}
	m := append(Pad(header, sm.suite.BlockSize()), dos...)
	cc, err := sm.mac(m)
	if err != nil {
		return iso7816.Command{}, err
	}
	dos = iso7816.AppendTLV(dos, doMAC, cc)
	ne := iso7816.MaxShortNe
	if c.Extended() || len(dos) > iso7816.MaxShortNc {
		ne = iso7816.MaxExtendedNe
	}
	return iso7816.Command{CLA: header[0], INS: c.INS, P1: c.P1, P2: c.P2, Data: dos, Ne: ne}, nil
}

// commandObjects builds DO'87'/DO'85' and DO'97' of a command, with the
// SSC already stepped for it.
func (sm *SecureMessaging) commandObjects(c iso7816.Command) ([]byte, error) {
	var dos []byte
	if len(c.Data) > 0 {
		ct, err := sm.suite.Encrypt(sm.ssc, Pad(c.Data, sm.suite.BlockSize()))
		if err != nil {
			return nil, err
		}
		if c.INS&1 == 1 {
			dos = iso7816.AppendTLV(dos, doCryptogramOdd, ct)
		} else {
			dos = iso7816.AppendTLV(dos, doCryptogram, append([]byte{paddingInd}, ct...))
		}
	}
	switch {
	case c.Ne == 0:
	case c.Ne == iso7816.MaxShortNe:
		dos = iso7816.AppendTLV(dos, doLe, []byte{0})
	case c.Ne < iso7816.MaxShortNe:
		dos = iso7816.AppendTLV(dos, doLe, []byte{byte(c.Ne)})
	default: // extended Le; 65536 wraps to 0000
		dos = iso7816.AppendTLV(dos, doLe, []byte{byte(c.Ne >> 8), byte(c.Ne)})
	}
	return dos, nil
}

// smObjects are the secure messaging data objects of one message.
type smObjects struct {
	cryptogram []byte // DO'87' value without the padding indicator, or DO'85'
	le         []byte // DO'97' value
	status     []byte // DO'99' value
	macInput   []byte // every object before DO'8E', as received
	mac        []byte
}

// parseObjects splits SM data objects and enforces their grammar: each
// allowed tag at most once, DO'8E' last, nothing unknown.
func parseObjects(b []byte, allowed ...iso7816.Tag) (smObjects, error) {
	var o smObjects
	seen := map[iso7816.Tag]bool{}
	rest := b
	for len(rest) > 0 {
		t, next, err := iso7816.ParseTLV(rest)
		if err != nil {
			return o, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
		}
		if seen[t.Tag] {
			return o, fmt.Errorf("%w: data object %s twice", ErrSecureMessaging, t.Tag)
		}
		seen[t.Tag] = true
		if t.Tag == doMAC {
			if len(next) != 0 {
				return o, fmt.Errorf("%w: %d bytes after DO'8E'", ErrSecureMessaging, len(next))
			}
			if len(t.Value) != macLen {
				return o, fmt.Errorf("%w: DO'8E' of %d bytes", ErrSecureMessaging, len(t.Value))
			}
			o.macInput, o.mac = b[:len(b)-len(rest)], t.Value
			return o, nil
		}
		if err := o.set(t, allowed); err != nil {
			return o, err
		}
		rest = next
	}
	return o, fmt.Errorf("%w: no DO'8E' (MAC)", ErrSecureMessaging)
}

func (o *smObjects) set(t iso7816.TLV, allowed []iso7816.Tag) error {
	ok := false
	for _, a := range allowed {
		ok = ok || a == t.Tag
	}
	if !ok {
		return fmt.Errorf("%w: unexpected data object %s", ErrSecureMessaging, t.Tag)
	}
	switch t.Tag {
	case doCryptogram:
		if len(t.Value) < 2 || t.Value[0] != paddingInd {
			return fmt.Errorf("%w: DO'87' without padding indicator 01", ErrSecureMessaging)
		}
		if o.cryptogram != nil {
			return fmt.Errorf("%w: both DO'85' and DO'87'", ErrSecureMessaging)
		}
		o.cryptogram = t.Value[1:]
	case doCryptogramOdd:
		if len(t.Value) == 0 || o.cryptogram != nil {
			return fmt.Errorf("%w: empty or repeated cryptogram DO'85'", ErrSecureMessaging)
		}
		o.cryptogram = t.Value
	case doLe:
		o.le = t.Value
	case doStatus:
		o.status = t.Value
	}
	return nil
}

// verify steps the SSC and checks DO'8E' in constant time.
func (sm *SecureMessaging) verify(o smObjects) error {
	sm.incrementSSC()
	want, err := sm.mac(o.macInput)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, o.mac) != 1 {
		return fmt.Errorf("%w: MAC does not verify", ErrSecureMessaging)
	}
	return nil
}

// decrypt deciphers and unpads a verified cryptogram.
func (sm *SecureMessaging) decrypt(ct []byte) ([]byte, error) {
	if ct == nil {
		return nil, nil
	}
	if len(ct)%sm.suite.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: cryptogram of %d bytes", ErrSecureMessaging, len(ct))
	}
	p, err := sm.suite.Decrypt(sm.ssc, ct)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
	}
	return Unpad(p, sm.suite.BlockSize())
}
