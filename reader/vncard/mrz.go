// Package vncard knows the Vietnamese chip card (CCCD 2021, Căn cước 2024):
// its TD1 machine readable zone, DG1, the Vietnamese data group DG13 and the
// QR code printed on the card. It parses what a card or a scanner delivers
// and builds the same structures for the card emulator.
package vncard

import (
	"fmt"
	"strings"

	"github.com/xanode/xanode/reader/emrtd"
)

// TD1 geometry (ICAO 9303-5).
const (
	td1Lines    = 3
	td1LineLen  = 30
	td1Len      = td1Lines * td1LineLen
	docNumLen   = 9
	idLen       = 12
	vnIssuer    = "VNM"
	vnDocCode   = "ID"
	maxInputLen = 4096 // far above any real payload; bounds work on hostile input
)

// MRZ is a TD1 machine readable zone.
type MRZ struct {
	DocumentCode string // "ID" on the CCCD; "I<" on many other TD1s
	Issuer       string // "VNM"
	// DocumentNumber has no fillers. On the CCCD it is the last 9 digits of
	// the 12-digit personal ID and is the BAC document number.
	DocumentNumber string
	// OptionalData1 is line 1 after the document number's check digit
	// (after its continuation for numbers over 9 characters), without
	// trailing fillers. The CCCD puts the 12-digit ID there.
	OptionalData1 string
	DateOfBirth   string // YYMMDD, '<' for unknown parts
	Sex           string // "M", "F" or "<"
	DateOfExpiry  string // YYMMDD
	Nationality   string
	OptionalData2 string // without trailing fillers
	Surname       string // words separated by spaces
	GivenNames    string
}

// ParseMRZ reads a TD1 MRZ given as 90 characters or as three lines of 30,
// and checks every check digit.
func ParseMRZ(s string) (*MRZ, error) {
	if len(s) > maxInputLen {
		return nil, fmt.Errorf("vncard: MRZ of %d bytes", len(s))
	}
	s = strings.Join(strings.Fields(s), "")
	if len(s) != td1Len {
		return nil, fmt.Errorf("vncard: MRZ of %d characters, a TD1 (ID card) MRZ has %d", len(s), td1Len)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return nil, fmt.Errorf("vncard: MRZ character %q at %d is not 0-9, A-Z or <", c, i)
		}
	}
	l1, l2, l3 := s[0:30], s[30:60], s[60:90]
	m := &MRZ{
		DocumentCode:  strings.TrimRight(l1[0:2], "<"),
		Issuer:        strings.TrimRight(l1[2:5], "<"),
		DateOfBirth:   l2[0:6],
		Sex:           l2[7:8],
		DateOfExpiry:  l2[8:14],
		Nationality:   strings.TrimRight(l2[15:18], "<"),
		OptionalData2: strings.TrimRight(l2[18:29], "<"),
	}
	docField, docCheck := l1[5:14], l1[14]
	opt := l1[15:30]
	if docCheck == '<' { // document number continues in the optional data
		ext, rest, ended := strings.Cut(opt, "<")
		if len(ext) < 2 || !ended {
			// ICAO 9303-5: the continuation ends with its check digit and
			// a filler, all within the optional data field.
			return nil, fmt.Errorf("vncard: MRZ document number continuation %q is too short or not ended by '<'", ext)
		}
		docField, docCheck, opt = docField+ext[:len(ext)-1], ext[len(ext)-1], rest
	}
	m.DocumentNumber = strings.TrimRight(docField, "<")
	m.OptionalData1 = strings.TrimRight(opt, "<")
	checks := []struct {
		what, field string
		got         byte
	}{
		{"document number", docField, docCheck},
		{"date of birth", l2[0:6], l2[6]},
		{"date of expiry", l2[8:14], l2[14]},
		{"line 1 and 2 (composite)", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]},
	}
	for _, c := range checks {
		want, _ := emrtd.CheckDigitChar(c.field) // characters were checked above
		if c.got != want {
			return nil, fmt.Errorf("vncard: MRZ check digit of the %s is %c, should be %c", c.what, c.got, want)
		}
	}
	if m.Sex != "M" && m.Sex != "F" && m.Sex != "<" {
		return nil, fmt.Errorf("vncard: MRZ sex %q is not M, F or <", m.Sex)
	}
	sur, given, _ := strings.Cut(strings.TrimRight(l3, "<"), "<<")
	m.Surname = strings.TrimSpace(strings.ReplaceAll(sur, "<", " "))
	m.GivenNames = strings.TrimSpace(strings.ReplaceAll(given, "<", " "))
	return m, nil
}

// ID returns the 12-digit personal ID that the CCCD carries at the start
// of the optional data of line 1, or "" when there is none. The composite
// check digit already covers it.
func (m *MRZ) ID() string {
	if len(m.OptionalData1) < idLen || !allDigits(m.OptionalData1[:idLen]) {
		return ""
	}
	return m.OptionalData1[:idLen]
}

// BACKey returns the MRZ data that unlock the chip.
func (m *MRZ) BACKey() emrtd.BACKey {
	return emrtd.BACKey{DocumentNumber: m.DocumentNumber, DateOfBirth: m.DateOfBirth, DateOfExpiry: m.DateOfExpiry}
}

// Lines encodes the three lines with fresh check digits.
func (m *MRZ) Lines() ([3]string, error) {
	var out [3]string
	doc, opt := m.DocumentNumber, m.OptionalData1
	docField := padMRZ(doc, docNumLen)
	cd, err := emrtd.CheckDigitChar(doc)
	if err != nil {
		return out, fmt.Errorf("vncard: document number: %w", err)
	}
	if len(doc) > docNumLen { // ICAO 9303-5: '<' then the rest of the number with its check digit
		docField, opt = doc[:docNumLen], doc[docNumLen:]+string(cd)+"<"+opt
		cd = '<'
	}
	l1 := padMRZ(m.DocumentCode, 2) + padMRZ(m.Issuer, 3) + docField + string(cd)
	if len(opt) > td1LineLen-len(l1) {
		return out, fmt.Errorf("vncard: optional data %q does not fit line 1", opt)
	}
	l1 += padMRZ(opt, td1LineLen-len(l1))
	if len(m.DateOfBirth) != 6 || len(m.DateOfExpiry) != 6 || len(m.Sex) != 1 || len(m.OptionalData2) > 11 || len(m.Nationality) > 3 {
		return out, fmt.Errorf("vncard: MRZ fields of the wrong size: %+v", *m)
	}
	var cds [2]byte
	for i, f := range []string{m.DateOfBirth, m.DateOfExpiry} {
		if cds[i], err = emrtd.CheckDigitChar(f); err != nil {
			return out, fmt.Errorf("vncard: MRZ line 2: %w", err)
		}
	}
	l2 := m.DateOfBirth + string(cds[0]) + m.Sex + m.DateOfExpiry + string(cds[1]) + padMRZ(m.Nationality, 3) + padMRZ(m.OptionalData2, 11)
	comp, err := emrtd.CheckDigitChar(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	if err != nil {
		return out, fmt.Errorf("vncard: MRZ: %w", err)
	}
	l2 += string(comp)
	name := strings.ReplaceAll(strings.TrimSpace(m.Surname), " ", "<")
	if given := strings.TrimSpace(m.GivenNames); given != "" {
		// A name of one part fills the line without the separator.
		name += "<<" + strings.ReplaceAll(given, " ", "<")
	}
	out = [3]string{l1, l2, padMRZ(name, td1LineLen)}
	if _, err := ParseMRZ(out[0] + out[1] + out[2]); err != nil {
		return out, err
	}
	return out, nil
}

// String returns the 90 characters of the MRZ, or "" if it cannot be
// encoded.
func (m *MRZ) String() string {
	l, err := m.Lines()
	if err != nil {
		return ""
	}
	return l[0] + l[1] + l[2]
}

// NewMRZ builds the MRZ of a CCCD: line 1 "IDVNM" + the last 9 digits of the
// ID + check digit + the 12-digit ID + "<<" + the ID's check digit; line 2
// date of birth, sex ('M' or 'F'), expiry, "VNM"; line 3 the name without
// diacritics.
func NewMRZ(id string, dateOfBirth Date, sex string, expiry Date, fullName string) (*MRZ, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("vncard: personal ID %q is not 12 digits", id)
	}
	if sex != "M" && sex != "F" {
		return nil, fmt.Errorf("vncard: sex %q is not M or F", sex)
	}
	if dateOfBirth.IsZero() || expiry.IsZero() {
		return nil, fmt.Errorf("vncard: the MRZ needs a date of birth and an expiry date")
	}
	idCheck, _ := emrtd.CheckDigitChar(id)
	name := MRZName(fullName)
	sur, given, _ := strings.Cut(strings.TrimRight(name, "<"), "<<")
	m := &MRZ{
		DocumentCode: vnDocCode, Issuer: vnIssuer, DocumentNumber: id[idLen-docNumLen:],
		OptionalData1: id + "<<" + string(idCheck),
		DateOfBirth:   dateOfBirth.YYMMDD(), Sex: sex, DateOfExpiry: expiry.YYMMDD(),
		Nationality: vnIssuer, Surname: strings.ReplaceAll(sur, "<", " "), GivenNames: strings.ReplaceAll(given, "<", " "),
	}
	if _, err := m.Lines(); err != nil {
		return nil, err
	}
	return m, nil
}

// ValidID reports whether s has the shape of a personal ID: 12 digits. The
// meaning of the digits is the registry's business (DESIGN.md, "Domain model").
func ValidID(s string) bool { return len(s) == idLen && allDigits(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
