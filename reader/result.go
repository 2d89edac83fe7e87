package reader

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

// Assurance says how far an identification can be trusted (DESIGN.md, "Chip cards").
type Assurance string

// Assurance levels, strongest first.
const (
	AssuranceChipCloningChecked Assurance = "chip-cloning-checked" // PA and chip or active authentication (or PACE-CAM)
	AssuranceChipVerified       Assurance = "chip-verified"        // passive authentication, no clone found
	AssuranceChipRead           Assurance = "chip-read"            // chip read, data not authenticated, or a clone
	AssuranceQR                 Assurance = "qr"                   // the card's QR code
	AssuranceTyped              Assurance = "typed"                // typed by the officer
)

var assuranceRank = map[Assurance]int{
	AssuranceTyped: 1, AssuranceQR: 2, AssuranceChipRead: 3, AssuranceChipVerified: 4, AssuranceChipCloningChecked: 5,
}

// AtLeast reports whether a is as strong as b; unknown levels are weakest.
func (a Assurance) AtLeast(b Assurance) bool { return assuranceRank[a] >= assuranceRank[b] }

// Statuses of passive authentication and the clone check.
const (
	StatusOK         = "ok"
	StatusFailed     = "failed"
	StatusNotChecked = "not_checked"
)

// PA is the outcome of passive authentication.
type PA struct {
	Status string `json:"status"`
	// Reasons say why the status is not ok, one finding each.
	Reasons []string `json:"reasons"`
	// Notes are findings that do not fail it, e.g. a stale CRL.
	Notes          []string `json:"notes,omitempty"`
	CSCA           string   `json:"csca,omitempty"`
	DocumentSigner string   `json:"document_signer,omitempty"`
}

// CloneCheck is the outcome of chip or active authentication.
type CloneCheck struct {
	Method string `json:"method"` // "none", "ca", "aa" or "pace-cam"
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// CardAccessCheck is the outcome of comparing EF.CardAccess with the
// signed DG14 (emrtd.CheckCardAccess).
type CardAccessCheck struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Result is what one card read yields.
type Result struct {
	ID             string       // 12-digit personal ID, from DG13 or else the MRZ
	DocumentNumber string       // BAC document number from the MRZ
	MRZ            []string     // the three MRZ lines of DG1
	DG13           *vncard.DG13 // nil if the card has none
	Face           *vncard.Face // DG2's image; nil if not read or unreadable
	Files          []string     // files read, in order
	Access         string       // "bac"
	PA             PA
	CloneCheck     CloneCheck
	CardAccess     CardAccessCheck
	Assurance      Assurance
	APDUs          int // command APDUs sent, BAC included
	// Warnings are data-quality findings, e.g. an ID in DG13 that differs
	// from the MRZ's.
	Warnings []string
	// Raw holds every file read by short name, for passive authentication
	// and for DG2's face image.
	Raw map[string][]byte
	// AAChallenge is Config.AAChallenge, and AASignature the chip's
	// Active Authentication answer over it (nil when the card has no DG15
	// or refused): the makings of a proof of presence (Proof).
	AAChallenge, AASignature []byte

	mrz *vncard.MRZ
}

// fill derives the summary fields once the files are read.
func (r *Result) fill(c Config) {
	r.DocumentNumber = r.mrz.DocumentNumber
	if l, err := r.mrz.Lines(); err == nil {
		r.MRZ = l[:]
	}
	r.ID = r.mrz.ID()
	if r.DG13 != nil && r.DG13.ID != "" {
		if r.ID != "" && r.DG13.ID != r.ID {
			r.Warnings = append(r.Warnings, fmt.Sprintf("DG13 gives ID %s, the MRZ %s", r.DG13.ID, r.ID))
		}
		r.ID = r.DG13.ID
	}
	if len(r.ID) == 12 && r.ID[3:] != r.DocumentNumber {
		r.Warnings = append(r.Warnings, fmt.Sprintf("document number %s is not the last 9 digits of ID %s", r.DocumentNumber, r.ID))
	}
	r.PA = c.passiveAuthentication(r.Raw)
	r.settleCloneCheck()
	r.CardAccess = checkCardAccess(r.Raw, r.PA.Status)
	// A chip caught as a clone vouches for nothing: its data may be a
	// genuine card's (PA), but the chip carrying them is not that card's.
	// One whose EF.CardAccess the signed DG14 disowns may have been read
	// through a man in the middle.
	r.Assurance = AssuranceChipRead
	switch {
	case r.CardAccess.Status == StatusFailed: // stays chip-read
	case r.PA.Status == StatusOK && r.CloneCheck.Status == StatusOK:
		r.Assurance = AssuranceChipCloningChecked
	case r.PA.Status == StatusOK && r.CloneCheck.Status != StatusFailed:
		r.Assurance = AssuranceChipVerified
	}
}

// checkCardAccess compares EF.CardAccess with DG14 once passive
// authentication has been tried. A card with DG14 is held to ICAO
// 9303-11's rule that DG14 repeats EF.CardAccess's SecurityInfos: cards
// made before `xanode card make` wrote them (DG14 with the chip
// authentication key only, EF.CardAccess announcing PACE) fail it, as
// a real chip would, because a copy that is absent cannot be told from a
// downgrade. A card without DG14 has nothing signed to compare with (ICAO
// requires DG14 with PACE, but the check cannot run): not checked.
func checkCardAccess(files map[string][]byte, pa string) CardAccessCheck {
	dg14, ok := files[emrtd.DataGroupFile(14).Name]
	cardAccess, announced := files[emrtd.FileCardAccess.Name]
	switch {
	case !ok && announced:
		return CardAccessCheck{Status: StatusNotChecked, Reason: "the card has no DG14 to compare EF.CardAccess with"}
	case !ok:
		return CardAccessCheck{Status: StatusNotChecked, Reason: "the card has neither EF.CardAccess nor DG14"}
	}
	if err := emrtd.CheckCardAccess(cardAccess, dg14); err != nil {
		return CardAccessCheck{Status: StatusFailed, Reason: err.Error()}
	}
	if pa != StatusOK {
		return CardAccessCheck{Status: StatusNotChecked, Reason: "EF.CardAccess matches DG14, but DG14 is not authenticated: passive authentication " + pa}
	}
	return CardAccessCheck{Status: StatusOK}
}

// passiveAuthentication checks EF.SOD against the trust store at the time
// of reading, or without a store does the part that needs none.
func (c Config) passiveAuthentication(files map[string][]byte) PA {
	b, ok := files[emrtd.FileSOD.Name]
	if !ok {
		return PA{Status: StatusFailed, Reasons: []string{"the card has no EF.SOD"}}
	}
	if c.Trust == nil {
		return checkSOD(b, files)
	}
	groups := map[int][]byte{}
	for name, content := range files {
		if f, _ := emrtd.FileByName(name); f.DataGroup() > 0 {
			groups[f.DataGroup()] = content
		}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	rep := c.Trust.Verify(b, groups, now())
	pa := PA{Status: StatusFailed, Reasons: rep.Reasons, Notes: rep.Notes, CSCA: rep.CSCA, DocumentSigner: rep.DocumentSigner}
	if rep.Verified {
		pa.Status = StatusOK
	}
	return pa
}

// checkSOD does the part of passive authentication that needs no trust
// store: every data group read must match its hash in EF.SOD. A mismatch
// fails; otherwise the signature chain is still unchecked.
func checkSOD(b []byte, files map[string][]byte) PA {
	s, err := sod.Parse(b)
	if err != nil {
		return PA{Status: StatusFailed, Reasons: []string{"EF.SOD cannot be read: " + err.Error()}}
	}
	var failed []string
	for name, content := range files {
		f, _ := emrtd.FileByName(name)
		if n := f.DataGroup(); n > 0 {
			if err := s.CheckDataGroup(n, content); err != nil {
				failed = append(failed, err.Error())
			}
		}
	}
	pa := PA{Status: StatusNotChecked, Reasons: []string{"no CSCA trust store: the Document Signer's signature and certificate chain are not verified"}}
	if len(failed) > 0 {
		sort.Strings(failed)
		pa = PA{Status: StatusFailed, Reasons: failed}
	}
	if len(s.Certificates) > 0 {
		if c, err := trust.ParseCertificate(s.Certificates[0]); err == nil {
			pa.DocumentSigner = c.Subject
		}
	}
	return pa
}

// MarshalJSON gives the shape of `xanode card read --json` (DESIGN.md, "Command line and HTTP surface").
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain struct {
		ID         string          `json:"id"`
		Doc        string          `json:"doc"`
		MRZ        []string        `json:"mrz"`
		DG13       map[string]any  `json:"dg13,omitempty"`
		Face       *faceJSON       `json:"face,omitempty"`
		Files      []string        `json:"files"`
		Access     string          `json:"access"`
		PA         PA              `json:"pa"`
		CloneCheck CloneCheck      `json:"clone_check"`
		CardAccess CardAccessCheck `json:"card_access"`
		Assurance  Assurance       `json:"assurance"`
		APDUs      int             `json:"apdus"`
		Warnings   []string        `json:"warnings,omitempty"`
		// A proof of presence's challenge and the chip's signature over
		// it, in hex.
		AAChallenge string `json:"aa_challenge,omitempty"`
		AASignature string `json:"aa_signature,omitempty"`
	}
	var face *faceJSON
	if r.Face != nil {
		face = &faceJSON{Format: r.Face.Format, Bytes: len(r.Face.Image), Note: r.Face.Note}
	}
	p := plain{Face: face, ID: r.ID, Doc: r.DocumentNumber, MRZ: r.MRZ, DG13: dg13JSON(r.DG13), Files: r.Files, Access: r.Access,
		PA: r.PA, CloneCheck: r.CloneCheck, CardAccess: r.CardAccess, Assurance: r.Assurance, APDUs: r.APDUs, Warnings: r.Warnings,
		AAChallenge: hex.EncodeToString(r.AAChallenge), AASignature: hex.EncodeToString(r.AASignature)}
	if p.PA.Reasons == nil {
		p.PA.Reasons = []string{}
	}
	// No HTML escaping: MRZ fillers stay '<' rather than \u003c.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// faceJSON describes the face image without its bytes, which Result.Face
// and Raw["DG2"] hold.
type faceJSON struct {
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
	Note   string `json:"note,omitempty"`
}

// dg13JSON lists every field by number as on the card (a string, a list of
// strings, or hex DER for other types) and adds named keys.
func dg13JSON(d *vncard.DG13) map[string]any {
	if d == nil {
		return nil
	}
	m := map[string]any{}
	for n, f := range d.Raw {
		key := strconv.Itoa(n)
		switch {
		case f.Values != nil && f.Seq:
			m[key] = f.Values
		case f.Values != nil:
			m[key] = f.Values[0]
		default:
			m[key] = hex.EncodeToString(f.DER)
		}
	}
	named := map[string]string{
		"full_name": d.FullName, "date_of_birth": d.DateOfBirth.String(), "sex": d.Sex, "nationality": d.Nationality,
		"ethnicity": d.Ethnicity, "religion": d.Religion, "hometown": d.Hometown, "residence": d.Residence,
		"characteristics": d.Characteristics, "issue_date": d.IssueDate.String(), "expiry_date": d.ExpiryDate.String(),
		"father": d.Father, "mother": d.Mother, "spouse": d.Spouse, "old_id": d.OldID,
	}
	for k, v := range named {
		if v != "" {
			m[k] = v
		}
	}
	return m
}
