package reader

import (
	"bytes"
	"fmt"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/presence"
)

// Proof makes the proof of presence of a read done with
// Config.AAChallenge: the files as the chip gave them (EF.CardAccess,
// EF.SOD, DG1, DG13, DG14 and DG15 when read) and the chip's signature
// over the challenge, for the city to verify with presence.Verify. It
// concludes nothing itself: a chip that refused to sign, or failed a
// check here, still yields its proof, which the city then refuses. A
// read without the challenge, or without a file every proof needs, is
// ErrNoProof.
func (r *Result) Proof() (*presence.Proof, error) {
	if r.AAChallenge == nil {
		return nil, fmt.Errorf("%w: the card was read without Config.AAChallenge", ErrNoProof)
	}
	file := func(f emrtd.File) []byte { return bytes.Clone(r.Raw[f.Name]) }
	p := &presence.Proof{
		CardAccess:  file(emrtd.FileCardAccess),
		SOD:         file(emrtd.FileSOD),
		DG1:         file(emrtd.FileDG1),
		DG13:        file(emrtd.FileDG13),
		DG14:        file(emrtd.DataGroupFile(14)),
		DG15:        file(emrtd.DataGroupFile(15)),
		Challenge:   bytes.Clone(r.AAChallenge),
		AASignature: bytes.Clone(r.AASignature),
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoProof, err)
	}
	return p, nil
}
