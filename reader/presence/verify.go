package presence

import (
	"crypto"
	"fmt"
	"strings"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

// Verified is what Verify established about a proof.
type Verified struct {
	// ID is the 12-digit personal ID, from DG13 and agreeing with DG1.
	ID string
	// MRZ is DG1's machine readable zone: document number, date of
	// birth, expiry, name without diacritics.
	MRZ *vncard.MRZ
	// DG13 holds the Vietnamese data: full name, date of birth, sex,
	// hometown, residence, parents, issue and expiry dates...
	DG13 *vncard.DG13
	// AA is true when the chip signed the proof's challenge with the key
	// of its DG15 (and everything else verified): the card was there when
	// the challenge was answered. False for a card without DG15.
	AA bool
	// CSCA and DocumentSigner are the subjects of the chain that signed
	// EF.SOD, as far as it was found.
	CSCA, DocumentSigner string
	// Reasons says why the proof is not authentic, one finding each;
	// empty when Verify returns no error.
	Reasons []string
	// Notes are findings that do not fail it: a stale CRL, a card without
	// Active Authentication, a check that could not run.
	Notes []string
}

// parsed holds the proof's files decoded.
type parsed struct {
	sod  *sod.SOD
	mrz  *vncard.MRZ
	dg13 *vncard.DG13
	aa   crypto.PublicKey // DG15's key; nil without DG15
}

// Verify checks a proof of presence against the CSCA trust store at time
// now: passive authentication of EF.SOD (signature, chain, validity,
// revocation by the store's CRLs) and the hash of every data group in the
// proof, and that EF.SOD lists no DG14 or DG15 the proof leaves out;
// DG13's ID against DG1's document number and ID, and the dates of birth;
// EF.CardAccess against DG14 (emrtd.CheckCardAccess); and, when the card
// has DG15, the chip's signature over exactly p.Challenge with DG15's key
// (missing or wrong is a failure, never "no AA").
//
// A proof that does not decode or parse is ErrMalformed, with a nil
// Verified. One that fails a check is ErrNotAuthentic, and the Verified
// comes with it for the record: its values are then the card's claims,
// not facts. Only with a nil error are they facts.
func Verify(p *Proof, store *trust.Store, now time.Time) (*Verified, error) {
	if store == nil {
		return nil, ErrNoTrustStore
	}
	if p == nil {
		return nil, fmt.Errorf("%w: no proof", ErrMalformed)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d, err := parse(p)
	if err != nil {
		return nil, err
	}
	v := &Verified{ID: d.dg13.ID, MRZ: d.mrz, DG13: d.dg13}
	v.passiveAuthentication(p, d, store, now)
	v.consistency(d)
	v.expiry(d, now)
	v.cardAccess(p)
	aa := v.activeAuthentication(p, d)
	if len(v.Reasons) > 0 {
		return v, fmt.Errorf("%w: %s", ErrNotAuthentic, strings.Join(v.Reasons, "; "))
	}
	v.AA = aa
	return v, nil
}

// parse decodes the files whose contents the checks need.
func parse(p *Proof) (*parsed, error) {
	var d parsed
	var err error
	if d.sod, err = sod.Parse(p.SOD); err != nil {
		return nil, fmt.Errorf("%w: EF.SOD: %v", ErrMalformed, err)
	}
	if d.mrz, err = vncard.ParseDG1(p.DG1); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.dg13, err = vncard.ParseDG13(p.DG13); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if p.DG15 != nil {
		if d.aa, err = emrtd.ParseDG15(p.DG15); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	return &d, nil
}

func (v *Verified) fail(format string, args ...any) {
	v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...))
}

func (v *Verified) note(format string, args ...any) {
	v.Notes = append(v.Notes, fmt.Sprintf(format, args...))
}

// passiveAuthentication verifies EF.SOD and the hashes of the data groups
// in the proof. EF.SOD lists every data group the card has, so a DG14 or
// DG15 it lists and the proof lacks was left out on the way: without DG15
// the proof would pass as that of a card without Active Authentication.
func (v *Verified) passiveAuthentication(p *Proof, d *parsed, store *trust.Store, now time.Time) {
	groups := map[int][]byte{1: p.DG1, 13: p.DG13}
	for n, b := range map[int][]byte{14: p.DG14, 15: p.DG15} {
		_, listed := d.sod.Hashes[n]
		switch {
		case b != nil:
			groups[n] = b
		case listed:
			v.fail("EF.SOD lists DG%d, which the proof leaves out", n)
		}
	}
	rep := store.Verify(p.SOD, groups, now)
	v.Reasons = append(v.Reasons, rep.Reasons...)
	v.Notes = append(v.Notes, rep.Notes...)
	v.CSCA, v.DocumentSigner = rep.CSCA, rep.DocumentSigner
}

// consistency holds DG1 and DG13 to the CCCD's layout: the MRZ document
// number is the last 9 digits of DG13's 12-digit ID, the MRZ's optional
// data carry the same ID, and both give the same date of birth.
func (v *Verified) consistency(d *parsed) {
	id := d.dg13.ID
	if !vncard.ValidID(id) {
		v.fail("DG13 gives no 12-digit ID (%q)", id)
		return
	}
	if id[3:] != d.mrz.DocumentNumber {
		v.fail("DG1's document number %s is not the last 9 digits of DG13's ID %s", d.mrz.DocumentNumber, id)
	}
	if m := d.mrz.ID(); m != "" && m != id {
		v.fail("DG1's MRZ gives ID %s, DG13 %s", m, id)
	}
	// A DG13 date that does not parse stays in Raw; it cannot be
	// compared, which does not make the card false.
	if dob := d.dg13.DateOfBirth; dob.IsZero() {
		v.note("DG13's date of birth %q is not a date; not compared with DG1's", d.dg13.Text(vncard.FieldDateOfBirth))
	} else if dob.YYMMDD() != d.mrz.DateOfBirth {
		v.fail("DG1's date of birth %s differs from DG13's %s", d.mrz.DateOfBirth, dob)
	}
}

// expiry notes an expired card: its chip still shows who holds it, which
// is what a proof of presence is for, but the city may want a new card.
func (v *Verified) expiry(d *parsed, now time.Time) {
	e := d.dg13.ExpiryDate
	if e.IsZero() || e.Month == 0 || e.Day == 0 {
		return
	}
	if time.Date(e.Year, time.Month(e.Month), e.Day+1, 0, 0, 0, 0, time.UTC).Before(now) {
		v.note("the card expired on %s", e)
	}
}

// cardAccess checks that DG14 repeats EF.CardAccess, as the reader does.
func (v *Verified) cardAccess(p *Proof) {
	switch {
	case p.DG14 != nil:
		if err := emrtd.CheckCardAccess(p.CardAccess, p.DG14); err != nil {
			v.fail("%v", err)
		}
	case p.CardAccess != nil:
		v.note("the card has no DG14 to compare EF.CardAccess with")
	}
}

// activeAuthentication verifies the chip's signature over the challenge
// with DG15's key, and reports whether it did.
func (v *Verified) activeAuthentication(p *Proof, d *parsed) bool {
	if d.aa == nil {
		v.note("the card has no active authentication (DG15): its data are verified, but not that it was present")
		return false
	}
	if p.AASignature == nil {
		v.fail("the card has active authentication (DG15), but the proof carries no signature over the challenge")
		return false
	}
	// For an ECDSA key DG14 names the hash; a DG14 that does not parse
	// leaves the hash to the curve's size (and a failure to the check).
	var info *emrtd.ActiveAuthenticationInfo
	if p.DG14 != nil {
		if infos, err := emrtd.ParseDG14(p.DG14); err == nil {
			info = infos.ActiveAuthentication
		}
	}
	if err := emrtd.VerifyActiveAuthentication(d.aa, info, p.Challenge, p.AASignature); err != nil {
		v.fail("the chip's signature over the challenge: %v", err)
		return false
	}
	return true
}
