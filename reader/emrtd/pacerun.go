package emrtd

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
)

// PACE runs PACE (ICAO 9303-11 4.4) over ECDH with generic, integrated or
// chip authentication mapping and, on success, switches the session to
// secure messaging under the new keys (AES for the AES variants).
// withParameterID sends the domain parameter ID in MSE:Set AT, which ICAO
// requires only when EF.CardAccess offers several. A chip that refuses the
// protocol (6D00) is ErrPACENotSupported; one that refuses the terminal's
// token, a wrong password, is ErrAccessDenied. After chip authentication
// mapping, ChipAuthenticationMapping holds the chip's proof, to be checked
// against DG14.
func (s *Session) PACE(ctx context.Context, info PACEInfo, pw PACEPassword, withParameterID bool) error {
	p, err := paceFor(info)
	if err != nil {
		return err
	}
	s.sm, s.unconfirmed, s.cam = nil, false, nil
	mse := iso7816.AppendTLV(nil, 0x80, oidValue(info.Protocol))
	mse = iso7816.AppendTLV(mse, 0x83, []byte{pw.Ref})
	if withParameterID {
		mse = iso7816.AppendTLV(mse, 0x84, []byte{byte(info.ParameterID)})
	}
	if err := s.paceStep(ctx, "MSE:Set AT (PACE)", iso7816.Command{INS: insMSE, P1: 0xC1, P2: mseAT, Data: mse}); err != nil {
		return err
	}
	z, err := s.paceObject(ctx, 1, nil, 0x80)
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
	var gx, gy, mapX, mapY *big.Int
	if p.mapping == IntegratedMapping {
		gx, gy, err = s.paceMapIntegrated(ctx, p, nonce)
	} else {
		gx, gy, mapX, mapY, err = s.paceMapGeneric(ctx, p, nonce)
	}
	if err != nil {
		return err
	}
	k, answer, err := s.paceAgree(ctx, p, gx, gy)
	if err != nil {
		return err
	}
	if p.mapping == ChipAuthenticationMapping {
		s.cam = p.camProof(k, answer, mapX, mapY)
	}
	return nil
}

// ChipAuthenticationMapping returns the chip's proof from the session's
// PACE run if it used chip authentication mapping, nil otherwise.
func (s *Session) ChipAuthenticationMapping() *CAMProof { return s.cam }

// paceMapGeneric is generic mapping (also chip authentication mapping's):
// an anonymous ECDH gives H, and G' = s·G + H. It returns the chip's
// mapping key PK_Map,IC too.
func (s *Session) paceMapGeneric(ctx context.Context, p pace, nonce []byte) (gx, gy, mapX, mapY *big.Int, err error) {
	g := p.curve.Params()
	skMap, pkMap, err := p.keyPair(s, g.Gx, g.Gy)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	pkMapIC, err := s.paceObject(ctx, 2, iso7816.EncodeTLV(0x81, pkMap), 0x82)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if subtle.ConstantTimeCompare(pkMapIC, pkMap) == 1 {
		return nil, nil, nil, nil, fmt.Errorf("%w: the chip sent back the terminal's mapping key", ErrProtocol)
	}
	if mapX, mapY, err = p.point(pkMapIC); err != nil {
		return nil, nil, nil, nil, err
	}
	hx, hy := p.curve.ScalarMult(mapX, mapY, skMap)
	if gx, gy, err = p.mapGenerator(nonce, hx, hy); err != nil {
		return nil, nil, nil, nil, err
	}
	return gx, gy, mapX, mapY, nil
}

// paceMapIntegrated is integrated mapping: the terminal sends its nonce t
// in clear, the chip answers with an empty DO'82', and G' = f_G(R_p(s,t)).
func (s *Session) paceMapIntegrated(ctx context.Context, p pace, nonce []byte) (gx, gy *big.Int, err error) {
	t := make([]byte, p.cipher.KeySize())
	if err := s.random(t); err != nil {
		return nil, nil, err
	}
	answer, err := s.generalAuthenticate(ctx, 2, iso7816.EncodeTLV(0x81, t))
	if err != nil {
		return nil, nil, err
	}
	if err := integratedMappingAnswer(answer); err != nil {
		return nil, nil, fmt.Errorf("GENERAL AUTHENTICATE (PACE step 2): %w", err)
	}
	return p.integratedMap(nonce, t)
}

// integratedMappingAnswer checks the chip's answer to integrated mapping
// (the content of its 7C object): DO'82' SHALL be empty (ICAO 9303-11
// 4.4.5.2.2); an answer without it is taken too.
func integratedMappingAnswer(answer []byte) error {
	v, _, err := iso7816.Find(answer, 0x82)
	switch {
	case err != nil:
		return fmt.Errorf("%w: integrated mapping answer: %v", ErrProtocol, err)
	case len(v) != 0:
		return fmt.Errorf("%w: integrated mapping answered with mapping data %X", ErrProtocol, v)
	}
	return nil
}

// paceAgree is PACE's key agreement on the mapped generator and the
// exchange of authentication tokens. It returns the shared secret K and
// the content of the chip's last answer, where PACE-CAM's A_IC is.
func (s *Session) paceAgree(ctx context.Context, p pace, gx, gy *big.Int) (k, answer []byte, err error) {
	sk, pk, err := p.keyPair(s, gx, gy)
	if err != nil {
		return nil, nil, err
	}
	pkIC, err := s.paceObject(ctx, 3, iso7816.EncodeTLV(0x83, pk), 0x84)
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(pkIC, pk) == 1 {
		return nil, nil, fmt.Errorf("%w: the chip sent back the terminal's PACE key", ErrProtocol)
	}
	x, y, err := p.point(pkIC)
	if err != nil {
		return nil, nil, err
	}
	k = sharedX(p.curve, x, y, sk)
	ksMac, err := KDF(p.cipher, k, CounterMAC)
	if err != nil {
		return nil, nil, err
	}
	tIFD, err := p.token(ksMac, pkIC)
	if err != nil {
		return nil, nil, err
	}
	if answer, err = s.generalAuthenticate(ctx, 4, iso7816.EncodeTLV(0x85, tIFD)); err != nil {
		return nil, nil, err
	}
	tIC, err := field(answer, 0x86)
	if err != nil {
		return nil, nil, fmt.Errorf("GENERAL AUTHENTICATE (PACE step 4): %w", err)
	}
	want, err := p.token(ksMac, pk)
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(tIC, want) != 1 {
		return nil, nil, fmt.Errorf("%w: the chip's PACE token does not verify", ErrProtocol)
	}
	sm, err := NewSuite(p.cipher, k)
	if err != nil {
		return nil, nil, err
	}
	s.sm = sm
	return k, answer, nil
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

// paceObject sends step n of PACE's GENERAL AUTHENTICATE and returns the
// data object want of the answer.
func (s *Session) paceObject(ctx context.Context, n int, data []byte, want iso7816.Tag) ([]byte, error) {
	answer, err := s.generalAuthenticate(ctx, n, data)
	if err != nil {
		return nil, err
	}
	v, err := field(answer, want)
	if err != nil {
		return nil, fmt.Errorf("GENERAL AUTHENTICATE (PACE step %d): %w", n, err)
	}
	return v, nil
}

// generalAuthenticate sends step n (1 to 4) of PACE's GENERAL
// AUTHENTICATE, chained (CLA 10) but for the last, and returns the content
// of the answer's 7C object.
func (s *Session) generalAuthenticate(ctx context.Context, n int, data []byte) ([]byte, error) {
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
	answer, err := iso7816.Unwrap(r.Data, tagDynamicAuthentication)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", what, ErrProtocol, err)
	}
	return answer, nil
}
