package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field names one attribute of a citizen record. The numbering is part of
// the canonical encoding: append new fields, never renumber.
type Field uint8

// The record fields (DESIGN.md, "Domain model"). Dates are canonical Date strings,
// IDs are 12-digit personal IDs, the rest is NFC text.
const (
	FieldFullName         Field = iota + 1 // họ và tên
	FieldOtherName                         // tên gọi khác
	FieldBirthDate                         // ngày sinh (may be partial)
	FieldSex                               // giới tính: M or F
	FieldNationality                       // quốc tịch
	FieldEthnicity                         // dân tộc
	FieldReligion                          // tôn giáo
	FieldBirthPlace                        // nơi đăng ký khai sinh
	FieldHometown                          // quê quán
	FieldPermanentAddress                  // nơi thường trú
	FieldTemporaryAddress                  // nơi tạm trú
	FieldTemporaryUntil                    // tạm trú đến ngày
	FieldCurrentAddress                    // nơi ở hiện tại
	FieldCommune                           // mã xã of the permanent residence: whose subset holds the record
	FieldHousehold                         // mã hộ
	FieldRelation                          // quan hệ với chủ hộ
	FieldFatherID
	FieldFatherName
	FieldMotherID
	FieldMotherName
	FieldSpouseID
	FieldSpouseName
	FieldOldID // số CMND 9 chữ số
	FieldCardNumber
	FieldCardIssued
	FieldCardExpiry
	FieldStatus     // alive, deceased, or merged (a retired duplicate)
	FieldDeathDate  // ngày mất
	FieldFeatures   // đặc điểm nhận dạng
	FieldAbsence    // khai báo tạm vắng: destination
	FieldAbsenceEnd // tạm vắng đến ngày
	// Temporary residence (Luật Cư trú 2020, Điều 27–28): from when, on
	// what basis the place is lived in, and whether its owner agreed.
	FieldTemporaryFrom  // tạm trú từ ngày
	FieldResidenceBasis // cơ sở cư trú: one of the Basis values
	FieldOwnerConsent   // ý kiến chủ sở hữu chỗ ở: one of the Consent values
	numFields
)

// NumFields is one more than the largest Field; arrays indexed by Field use it.
const NumFields = int(numFields)

// Values of FieldSex and FieldStatus.
const (
	SexMale        = "M"
	SexFemale      = "F"
	StatusAlive    = "alive"
	StatusDeceased = "deceased"
	// StatusMerged retires a duplicate record: city IT merged it into
	// another (DESIGN.md, "Data quality"). Only that merge sets it; the
	// record leaves its commune's subset and keeps its history.
	StatusMerged = "merged"
)

// Values of FieldResidenceBasis: on what basis the place of temporary
// residence is lived in.
const (
	BasisOwn    = "own"    // nhà riêng: the citizen owns it
	BasisRent   = "rent"   // thuê
	BasisBorrow = "borrow" // mượn
	BasisLodge  = "lodge"  // ở nhờ
	BasisOther  = "other"  // khác (ký túc xá, nhà ở tập thể…)
)

// Bases lists the FieldResidenceBasis values in the order forms offer them.
var Bases = []string{BasisOwn, BasisRent, BasisBorrow, BasisLodge, BasisOther}

// Values of FieldOwnerConsent.
const (
	ConsentAgreed = "agreed" // the owner (or household head) agreed in writing
	ConsentOwner  = "owner"  // the citizen is the owner: no consent needed
)

type fieldKind uint8

const (
	kindText fieldKind = iota
	kindDate
	kindID
	kindOldID
	kindSex
	kindStatus
	kindCode
	kindBasis
	kindConsent
)

var fieldInfo = [numFields]struct {
	name string
	kind fieldKind
}{
	FieldFullName:         {"full_name", kindText},
	FieldOtherName:        {"other_name", kindText},
	FieldBirthDate:        {"birth_date", kindDate},
	FieldSex:              {"sex", kindSex},
	FieldNationality:      {"nationality", kindText},
	FieldEthnicity:        {"ethnicity", kindText},
	FieldReligion:         {"religion", kindText},
	FieldBirthPlace:       {"birth_place", kindText},
	FieldHometown:         {"hometown", kindText},
	FieldPermanentAddress: {"permanent_address", kindText},
	FieldTemporaryAddress: {"temporary_address", kindText},
	FieldTemporaryUntil:   {"temporary_until", kindDate},
	FieldCurrentAddress:   {"current_address", kindText},
	FieldCommune:          {"commune", kindCode},
	FieldHousehold:        {"household", kindCode},
	FieldRelation:         {"relation", kindText},
	FieldFatherID:         {"father_id", kindID},
	FieldFatherName:       {"father_name", kindText},
	FieldMotherID:         {"mother_id", kindID},
	FieldMotherName:       {"mother_name", kindText},
	FieldSpouseID:         {"spouse_id", kindID},
	FieldSpouseName:       {"spouse_name", kindText},
	FieldOldID:            {"old_id", kindOldID},
	FieldCardNumber:       {"card_number", kindCode},
	FieldCardIssued:       {"card_issued", kindDate},
	FieldCardExpiry:       {"card_expiry", kindDate},
	FieldStatus:           {"status", kindStatus},
	FieldDeathDate:        {"death_date", kindDate},
	FieldFeatures:         {"features", kindText},
	FieldAbsence:          {"absence", kindText},
	FieldAbsenceEnd:       {"absence_end", kindDate},
	FieldTemporaryFrom:    {"temporary_from", kindDate},
	FieldResidenceBasis:   {"residence_basis", kindBasis},
	FieldOwnerConsent:     {"owner_consent", kindConsent},
}

// ErrField is returned for an unknown field or a value a field cannot hold.
var ErrField = errors.New("invalid field")

// MaxValueLen caps any field value, in bytes.
const MaxValueLen = 512

// Valid reports whether f is a known field.
func (f Field) Valid() bool { return f > 0 && f < numFields }

// String is the field's stable wire name, e.g. "full_name".
func (f Field) String() string {
	if !f.Valid() {
		return fmt.Sprintf("field(%d)", uint8(f))
	}
	return fieldInfo[f].name
}

// FieldByName maps a wire name back to its Field.
func FieldByName(name string) (Field, bool) {
	for f := Field(1); f < numFields; f++ {
		if fieldInfo[f].name == name {
			return f, true
		}
	}
	return 0, false
}

// collapseSpace is strings.Join(strings.Fields(v), " "): runs of white
// space become one space, none at the ends. A value already so — nearly
// every value a replica checks — is returned as it is, without copying.
func collapseSpace(v string) string {
	prevSpace := true // no space at the start
	for _, r := range v {
		space := unicode.IsSpace(r)
		if space && (prevSpace || r != ' ') {
			return strings.Join(strings.Fields(v), " ")
		}
		prevSpace = space
	}
	if prevSpace && v != "" {
		return strings.Join(strings.Fields(v), " ") // a space at the end
	}
	return v
}

// canonicalText reports, in one pass, that text is already what Normalize
// makes of it: valid UTF-8 without control characters, single spaces
// between words and none at the ends, in NFC by the inert runes
// (nfcString). Anything else (other spaces, marks to compose) takes
// Normalize's general path, which decides; every replica validates every
// value of every change.
func canonicalText(v string) bool {
	if v == "" || v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	t := inertRunes()
	space := false
	for i := 0; i < len(v); {
		b := v[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f || b == ' ' && space {
				return false
			}
			space = b == ' '
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if r >= inertLimit || t[r>>6]&(1<<(r&63)) == 0 || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false // an invalid byte decodes to U+FFFD, beyond the inert runes
		}
		space = false
		i += n
	}
	return true
}

// Normalize returns the canonical form of v for field f, or an error naming
// the field. Text becomes NFC with inner runs of spaces collapsed; dates
// become YYYY-MM-DD (or a partial form). The empty string clears a field.
func (f Field) Normalize(v string) (string, error) {
	if !f.Valid() {
		return "", fmt.Errorf("%w: %d", ErrField, uint8(f))
	}
	if len(v) > MaxValueLen {
		return "", fmt.Errorf("%w: %s is %d bytes, at most %d", ErrField, f, len(v), MaxValueLen)
	}
	if fieldInfo[f].kind == kindText && canonicalText(v) {
		return v, nil
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("%w: %s is not UTF-8", ErrField, f)
	}
	v = collapseSpace(v)
	if v == "" {
		return "", nil
	}
	switch fieldInfo[f].kind {
	case kindDate:
		d, err := ParseDate(v)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrField, f, err)
		}
		if len(v) == 10 && v[4] == '-' && v[7] == '-' && d.Month != 0 && d.Day != 0 {
			return v, nil // a full date already in canonical form, as d.String() would write it
		}
		return d.String(), nil
	case kindID:
		if _, err := ParseID(v); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrField, f, err)
		}
	case kindOldID:
		if len(v) != 9 || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return "", fmt.Errorf("%w: %s must be 9 digits, got %q", ErrField, f, v)
		}
	case kindSex:
		if v != SexMale && v != SexFemale {
			return "", fmt.Errorf("%w: %s must be M or F, got %q", ErrField, f, v)
		}
	case kindStatus:
		if v != StatusAlive && v != StatusDeceased && v != StatusMerged {
			return "", fmt.Errorf("%w: %s must be alive, deceased or merged, got %q", ErrField, f, v)
		}
	case kindBasis:
		if !slices.Contains(Bases, v) {
			return "", fmt.Errorf("%w: %s must be one of %s, got %q", ErrField, f, strings.Join(Bases, ", "), v)
		}
	case kindConsent:
		if v != ConsentAgreed && v != ConsentOwner {
			return "", fmt.Errorf("%w: %s must be %s or %s, got %q", ErrField, f, ConsentAgreed, ConsentOwner, v)
		}
	case kindCode:
		// Printable ASCII only: codes become keys and log fields, where a
		// control character would be invisible.
		if strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r >= unicode.MaxASCII }) >= 0 {
			return "", fmt.Errorf("%w: %s must be printable ASCII without spaces, got %q", ErrField, f, v)
		}
	default:
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return "", fmt.Errorf("%w: %s contains control characters", ErrField, f)
		}
		v = nfcString(v)
		// NFC can lengthen a few scripts' text; check again so that a
		// normalized value always normalizes to itself.
		if len(v) > MaxValueLen {
			return "", fmt.Errorf("%w: %s is %d bytes in NFC, at most %d", ErrField, f, len(v), MaxValueLen)
		}
	}
	return v, nil
}
