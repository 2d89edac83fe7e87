package emrtd

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
)

// PACE runs PACE (ICAO 9303-11 4.4) with generic mapping over ECDH and, on
// success, switches the session to secure messaging under the new keys
// (AES for the AES variants). withParameterID sends the domain parameter
// ID in MSE:Set AT, which ICAO requires only when EF.CardAccess offers
// several. A chip that refuses the protocol (6D00) is ErrPACENotSupported;
// one that refuses the terminal's token, a wrong password, is
// ErrAccessDenied.
func (s *Session) PACE(ctx context.Context, info PACEInfo, pw PACEPassword, withParameterID bool) error {
	p, err := paceFor(info)
	if err != nil {
		return err
	}
	s.sm, s.unconfirmed = nil, false
	mse := iso7816.AppendTLV(nil, 0x80, oidValue(info.Protocol))
	mse = iso7816.AppendTLV(mse, 0x83, []byte{pw.Ref})
	if withParameterID {
		mse = iso7816.AppendTLV(mse, 0x84, []byte{byte(info.ParameterID)})
	}
	if err := s.paceStep(ctx, "MSE:Set AT (PACE)", iso7816.Command{INS: insMSE, P1: 0xC1, P2: mseAT, Data: mse}); err != nil {
		return err
	}
	z, err := s.generalAuthenticate(ctx, 1, nil, 0x80)
	if err != nil {
		return err
	}
	kpi, err := p.kpi(pw)
	if err != nil {
		return err
	}
	nonce, err := p.nonce(kpi, z, false)
	if err != nil {
		return err
	}
	g := p.curve.Params()
	skMap, pkMap, err := p.keyPair(s, g.Gx, g.Gy)
	if err != nil {
		return err
	}
	pkMapIC, err := s.generalAuthenticate(ctx, 2, iso7816.EncodeTLV(0x81, pkMap), 0x82)
	if err != nil {
		return err
	}
	hx, hy, err := p.point(pkMapIC)
	if err != nil {
		return err
	}
	hx, hy = p.curve.ScalarMult(hx, hy, skMap)
	gx, gy, err := p.mapGenerator(nonce, hx, hy)
	if err != nil {
		return err
	}
	return s.paceAgree(ctx, p, gx, gy)
}

// paceAgree is PACE's key agreement on the mapped generator and the
// exchange of authentication tokens.
func (s *Session) paceAgree(ctx context.Context, p pace, gx, gy *big.Int) error {
	sk, pk, err := p.keyPair(s, gx, gy)
	if err != nil {
		return err
	}
	pkIC, err := s.generalAuthenticate(ctx, 3, iso7816.EncodeTLV(0x83, pk), 0x84)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(pkIC, pk) == 1 {
		return fmt.Errorf("%w: the chip sent back the terminal's PACE key", ErrProtocol)
	}
	x, y, err := p.point(pkIC)
	if err != nil {
		return err
	}
	k := sharedX(p.curve, x, y, sk)
	ksMac, err := KDF(p.cipher, k, CounterMAC)
	if err != nil {
		return err
	}
	tIFD, err := p.token(ksMac, pkIC)
	if err != nil {
		return err
	}
	tIC, err := s.generalAuthenticate(ctx, 4, iso7816.EncodeTLV(0x85, tIFD), 0x86)
	if err != nil {
		return err
	}
	want, err := p.token(ksMac, pk)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(tIC, want) != 1 {
		return fmt.Errorf("%w: the chip's PACE token does not verify", ErrProtocol)
	}
	sm, err := NewSuite(p.cipher, k)
	if err != nil {
		return err
	}
	s.sm = sm
	return nil
}

// paceStep sends a plain PACE command; 6D00 means no PACE at all.
func (s *Session) paceStep(ctx context.Context, what string, c iso7816.Command) error {
	r, err := s.Transmit(ctx, c)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if r.SW == iso7816.StatusINSNotSupported {
		return fmt.Errorf("%s: %w (%w)", what, ErrPACENotSupported, r.SW)
	}
	if !r.SW.OK() {
		return fmt.Errorf("%s: %w", what, r.SW)
	}
	return nil
}

// generalAuthenticate sends step n (1 to 4) of PACE's GENERAL
// AUTHENTICATE, chained (CLA 10) but for the last, and returns the data
// object want of the answer.
func (s *Session) generalAuthenticate(ctx context.Context, n int, data []byte, want byte) ([]byte, error) {
	c := iso7816.Command{CLA: 0x10, INS: insGeneralAuthenticate, Data: iso7816.EncodeTLV(tagDynamicAuthentication, data), Ne: iso7816.MaxShortNe}
	if n == 4 {
		c.CLA = 0
	}
	what := fmt.Sprintf("GENERAL AUTHENTICATE (PACE step %d)", n)
	r, err := s.Transmit(ctx, c)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", what, err)
	case r.SW == iso7816.StatusINSNotSupported:
		return nil, fmt.Errorf("%s: %w (%w)", what, ErrPACENotSupported, r.SW)
	case n == 4 && !r.SW.OK():
		return nil, fmt.Errorf("%s: %w (%w)", what, ErrAccessDenied, r.SW)
	case !r.SW.OK():
		return nil, fmt.Errorf("%s: %w", what, r.SW)
	}
	v, err := dynamic(r.Data, iso7816.Tag(want))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
