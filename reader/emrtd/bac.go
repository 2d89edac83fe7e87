package emrtd

import (
	"bytes"
	"crypto/subtle"
	"fmt"
)

// BAC sizes (ICAO 9303-11 4.3).
const (
	bacNonceLen    = 8  // RND.IC, RND.IFD
	bacKeyLen      = 16 // K.IFD, K.IC
	bacPlainLen    = 2*bacNonceLen + bacKeyLen
	bacResponseLen = bacPlainLen + macLen // E.IC || M.IC, and E.IFD || M.IFD
)

// BACKeys are Kenc and Kmac, derived from Kseed with the KDF.
type BACKeys struct {
	Enc, MAC []byte
}

// DeriveBACKeys derives Kenc and Kmac from the MRZ key.
func DeriveBACKeys(k BACKey) (BACKeys, error) {
	seed, err := k.Seed()
	if err != nil {
		return BACKeys{}, err
	}
	return bacKeysFromSeed(seed)
}

func bacKeysFromSeed(seed []byte) (BACKeys, error) {
	enc, err := KDF(TDES, seed, CounterEnc)
	if err != nil {
		return BACKeys{}, err
	}
	mac, err := KDF(TDES, seed, CounterMAC)
	if err != nil {
		return BACKeys{}, err
	}
	return BACKeys{Enc: enc, MAC: mac}, nil
}

// authenticate is E = 3DES-CBC(Kenc, S) || M = retail MAC(Kmac, pad(E)),
// the cryptogram both sides send in EXTERNAL AUTHENTICATE.
func (k BACKeys) authenticate(s []byte) ([]byte, error) {
	c, err := newTDES(k.Enc)
	if err != nil {
		return nil, err
	}
	e, err := cbc(c, zeroIV[:], s, true)
	if err != nil {
		return nil, err
	}
	m, err := RetailMAC(k.MAC, Pad(e, 8))
	if err != nil {
		return nil, err
	}
	return append(e, m...), nil
}

// open checks the MAC of a cryptogram from the other side in constant time
// and only then deciphers it.
func (k BACKeys) open(data []byte) ([]byte, bool, error) {
	if len(data) != bacResponseLen {
		return nil, false, fmt.Errorf("%w: BAC cryptogram of %d bytes, want %d", ErrProtocol, len(data), bacResponseLen)
	}
	e, m := data[:bacPlainLen], data[bacPlainLen:]
	want, err := RetailMAC(k.MAC, Pad(e, 8))
	if err != nil {
		return nil, false, err
	}
	if subtle.ConstantTimeCompare(want, m) != 1 {
		return nil, false, nil
	}
	c, err := newTDES(k.Enc)
	if err != nil {
		return nil, false, err
	}
	s, err := cbc(c, zeroIV[:], e, false)
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// bacTerminal is the terminal's state between GET CHALLENGE and the chip's
// answer to EXTERNAL AUTHENTICATE.
type bacTerminal struct {
	keys          BACKeys
	rndIC, rndIFD []byte
	kIFD          []byte
}

// command returns the EXTERNAL AUTHENTICATE data E.IFD || M.IFD over
// S = RND.IFD || RND.IC || K.IFD.
func (t *bacTerminal) command() ([]byte, error) {
	s := make([]byte, 0, bacPlainLen)
	s = append(append(append(s, t.rndIFD...), t.rndIC...), t.kIFD...)
	return t.keys.authenticate(s)
}

// finish verifies the chip's E.IC || M.IC, checks that it returned both
// nonces, and starts secure messaging with the session keys derived from
// K.IFD xor K.IC and SSC = RND.IC[4:8] || RND.IFD[4:8].
func (t *bacTerminal) finish(resp []byte) (*SecureMessaging, error) {
	r, ok, err := t.keys.open(resp)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: the chip's BAC cryptogram does not verify", ErrProtocol)
	}
	if !bytes.Equal(r[:8], t.rndIC) || !bytes.Equal(r[8:16], t.rndIFD) {
		return nil, fmt.Errorf("%w: the chip returned other BAC nonces than were exchanged", ErrProtocol)
	}
	return bacSession(t.kIFD, r[16:], t.rndIC, t.rndIFD)
}

func bacSession(kIFD, kIC, rndIC, rndIFD []byte) (*SecureMessaging, error) {
	seed := make([]byte, bacKeyLen)
	subtle.XORBytes(seed, kIFD, kIC)
	ks, err := bacKeysFromSeed(seed)
	if err != nil {
		return nil, err
	}
	suite, err := NewTDESSuite(ks.Enc, ks.MAC)
	if err != nil {
		return nil, err
	}
	ssc := append(append(make([]byte, 0, 8), rndIC[4:]...), rndIFD[4:]...)
	return NewSecureMessaging(suite, ssc)
}

// AnswerExternalAuthenticate is the chip's side of BAC for a software card:
// given its challenge RND.IC, its key share K.IC and the terminal's E.IFD ||
// M.IFD, it checks the terminal's MAC and echoed challenge, and returns
// E.IC || M.IC and the chip's secure messaging session. A terminal that does
// not hold the MRZ key gets ErrAccessDenied.
func AnswerExternalAuthenticate(keys BACKeys, rndIC, kIC, data []byte) ([]byte, *SecureMessaging, error) {
	if len(rndIC) != bacNonceLen || len(kIC) != bacKeyLen {
		return nil, nil, fmt.Errorf("emrtd: RND.IC of %d and K.IC of %d bytes", len(rndIC), len(kIC))
	}
	if len(data) != bacResponseLen {
		return nil, nil, fmt.Errorf("%w: EXTERNAL AUTHENTICATE data of %d bytes", ErrProtocol, len(data))
	}
	s, ok, err := keys.open(data)
	if err != nil {
		return nil, nil, err
	}
	if !ok || !bytes.Equal(s[8:16], rndIC) {
		return nil, nil, ErrAccessDenied
	}
	rndIFD, kIFD := s[:8], s[16:]
	r := make([]byte, 0, bacPlainLen)
	r = append(append(append(r, rndIC...), rndIFD...), kIC...)
	resp, err := keys.authenticate(r)
	if err != nil {
		return nil, nil, err
	}
	sm, err := bacSession(kIFD, kIC, rndIC, rndIFD)
	return resp, sm, err
}
