package reader

import (
	"context"
	"errors"
	"fmt"

	"github.com/xanode/xanode/reader/emrtd"
)

// Clone check methods as CloneCheck.Method names them.
const (
	CloneCheckNone = "none"
	CloneCheckCA   = "ca" // chip authentication (DG14)
	CloneCheckAA   = "aa" // active authentication (DG15)
	// CloneCheckPACECAM is PACE with chip authentication mapping, whose
	// proof is checked against DG14's key: Chip Authentication built
	// into PACE, so none follows.
	CloneCheckPACECAM = "pace-cam"
)

// chipAuthentication reads DG14 and checks the proof of PACE-CAM against
// it or else runs Chip Authentication with the first ECDH key it
// announces. Whether the chip passed Chip Authentication is known only at
// its next answer (see reading.read). A DG14 that cannot be used, or a
// chip that refuses the protocol, leaves the clone check to Active
// Authentication, with the reason kept.
func (r *reading) chipAuthentication(ctx context.Context) (*emrtd.SecurityInfos, error) {
	b, err := r.read(ctx, emrtd.DataGroupFile(14))
	if err != nil {
		return nil, err
	}
	infos, err := emrtd.ParseDG14(b)
	if err != nil {
		method := CloneCheckCA
		if r.cam != nil {
			method, r.cam = CloneCheckPACECAM, nil
		}
		r.res.CloneCheck = CloneCheck{Method: method, Status: StatusFailed, Reason: err.Error()}
		return nil, nil
	}
	r.dg14 = infos
	if r.cam != nil && r.checkCAM() {
		return infos, nil
	}
	info, key, ok := caPair(infos)
	if !ok {
		r.res.CloneCheck.Reason = "DG14 announces no chip authentication this reader supports (ECDH)"
		return infos, nil
	}
	err = r.s.ChipAuthentication(ctx, info, key)
	switch {
	case err == nil:
		r.caPending = true
	case errors.Is(err, emrtd.ErrSecureMessaging) || errors.Is(err, emrtd.ErrProtocol):
		return nil, err
	default:
		// The chip refused a step (a status word): it announced what it does
		// not do, which a genuine chip would not.
		r.res.CloneCheck = CloneCheck{Method: CloneCheckCA, Status: StatusFailed, Reason: err.Error()}
	}
	return infos, nil
}

// checkCAM checks the proof of PACE-CAM against the chip authentication
// keys of DG14, and reports whether that decided the clone check: a proof
// that fits one key passes, one that fits none of the keys on PACE's
// curve fails. Without such a key, Chip Authentication may still run.
func (r *reading) checkCAM() bool {
	proof := r.cam
	r.cam = nil
	var failure error
	for _, k := range r.dg14.ChipAuthenticationKeys {
		err := proof.Verify(k)
		if err == nil {
			r.res.CloneCheck, r.caBroken = CloneCheck{Method: CloneCheckPACECAM, Status: StatusOK}, false
			return true
		}
		if !errors.Is(err, emrtd.ErrUnsupported) {
			failure = err
		}
	}
	if failure == nil {
		r.res.CloneCheck.Reason = "PACE-CAM: DG14 holds no chip authentication key on PACE's curve"
		return false
	}
	r.res.CloneCheck, r.caBroken = CloneCheck{Method: CloneCheckPACECAM, Status: StatusFailed, Reason: failure.Error()}, true
	return true
}

// caPair picks the Chip Authentication protocol and the public key it
// goes with (by key ID when DG14 gives several keys).
func caPair(infos *emrtd.SecurityInfos) (emrtd.ChipAuthenticationInfo, emrtd.ChipAuthenticationKey, bool) {
	for _, info := range infos.ChipAuthentication {
		if _, ecdh, ok := emrtd.CipherOf(info.Protocol); !ok || !ecdh {
			continue
		}
		for _, k := range infos.ChipAuthenticationKeys {
			if info.KeyID < 0 || k.KeyID < 0 || info.KeyID == k.KeyID {
				if k.Protocol.Equal(emrtd.OIDPKECDH) {
					return info, k, true
				}
			}
		}
	}
	return emrtd.ChipAuthenticationInfo{}, emrtd.ChipAuthenticationKey{}, false
}

// activeAuthentication reads DG15 and, unless Chip Authentication already
// decided the clone check, has the chip sign a challenge with its key.
// With Config.AAChallenge the chip signs that challenge in any case, for
// a proof of presence; a signature that does not verify then fails the
// clone check even after Chip Authentication passed, since the chip does
// not hold the key its signed DG15 names.
func (r *reading) activeAuthentication(ctx context.Context, infos *emrtd.SecurityInfos) error {
	b, err := r.read(ctx, emrtd.DataGroupFile(15))
	if err != nil {
		return err
	}
	// A chip that passed CA or PACE-CAM needs no AA; one that failed either
	// cryptographically must not be rescued by AA.
	m := r.res.CloneCheck.Method
	decided := (m == CloneCheckCA || m == CloneCheckPACECAM) && (r.res.CloneCheck.Status == StatusOK || r.caBroken)
	if decided && r.c.AAChallenge == nil {
		return nil
	}
	pub, err := emrtd.ParseDG15(b)
	if err != nil {
		if !decided {
			r.res.CloneCheck = CloneCheck{Method: CloneCheckAA, Status: StatusFailed, Reason: err.Error()}
		} else {
			r.res.Warnings = append(r.res.Warnings, "no active authentication over the challenge: "+err.Error())
		}
		return nil
	}
	var info *emrtd.ActiveAuthenticationInfo
	if infos != nil {
		info = infos.ActiveAuthentication
	}
	if r.c.AAChallenge != nil {
		var sig []byte
		if sig, err = r.s.InternalAuthenticate(ctx, pub, r.c.AAChallenge); err == nil {
			r.res.AASignature = sig
			err = emrtd.VerifyActiveAuthentication(pub, info, r.c.AAChallenge, sig)
		}
	} else {
		err = r.s.ActiveAuthentication(ctx, pub, info)
	}
	switch {
	case err == nil:
		if !decided {
			r.res.CloneCheck = CloneCheck{Method: CloneCheckAA, Status: StatusOK}
		}
	case errors.Is(err, emrtd.ErrSecureMessaging) || errors.Is(err, emrtd.ErrProtocol):
		return err
	case !r.caBroken:
		r.res.CloneCheck = CloneCheck{Method: CloneCheckAA, Status: StatusFailed, Reason: err.Error()}
	}
	return nil
}

// settleCloneCheck makes the clone check count only on authenticated keys:
// DG14 and DG15 are the chip's word until passive authentication vouches
// for them, and a clone can carry its own.
func (r *Result) settleCloneCheck() {
	if r.CloneCheck.Method == "" {
		r.CloneCheck.Method = CloneCheckNone
	}
	if r.CloneCheck.Status == "" {
		r.CloneCheck.Status = StatusNotChecked
	}
	if r.CloneCheck.Status == StatusOK && r.PA.Status != StatusOK {
		r.CloneCheck.Status = StatusNotChecked
		r.CloneCheck.Reason = fmt.Sprintf("the chip passed, but its key is not authenticated: passive authentication %s", r.PA.Status)
	}
}
