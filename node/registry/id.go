package registry

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors of personal ID validation.
var (
	ErrIDFormat     = errors.New("personal ID must be exactly 12 digits")
	ErrIDBirthYear  = errors.New("personal ID does not match the date of birth")
	ErrIDSex        = errors.New("personal ID does not match the sex")
	ErrIDProvisonal = errors.New("provisional ID is not a personal ID")
)

// Provinces maps the 3-digit province codes of birth registration used in
// personal IDs to names, for display. The list is not exhaustive on purpose:
// an unknown prefix is never an error (the law guarantees only 12 digits).
var Provinces = map[string]string{
	"001": "Hà Nội", "031": "Hải Phòng", "048": "Đà Nẵng", "079": "TP Hồ Chí Minh",
	"092": "Cần Thơ", "086": "Vĩnh Long", "089": "An Giang", "094": "Sóc Trăng",
	"093": "Hậu Giang", "087": "Đồng Tháp", "091": "Kiên Giang", "096": "Cà Mau",
	"095": "Bạc Liêu", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh",
	"080": "Long An", "038": "Thanh Hóa", "040": "Nghệ An", "046": "Thừa Thiên Huế",
}

// PersonalID is a parsed 12-digit personal identification number.
type PersonalID struct {
	Province  string // 3 digits: province of birth registration
	BirthYear int    // full year from the century digit and two year digits
	Female    bool
	Serial    string // last 6 digits
}

// ParseID checks the structure of a 12-digit personal ID: digits only, and
// a century/sex digit that yields a birth year.
func ParseID(s string) (PersonalID, error) {
	if len(s) != 12 {
		return PersonalID{}, fmt.Errorf("%w: %q has %d characters", ErrIDFormat, s, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return PersonalID{}, fmt.Errorf("%w: %q", ErrIDFormat, s)
		}
	}
	gender := int(s[3] - '0')
	yy, _ := strconv.Atoi(s[4:6])
	return PersonalID{
		Province:  s[:3],
		BirthYear: 1900 + 100*(gender/2) + yy,
		Female:    gender%2 == 1,
		Serial:    s[6:],
	}, nil
}

// MakeID builds the personal ID for a province, birth year, sex and serial
// (0..999999). It panics on a year outside 1900..2399: callers generate.
func MakeID(province string, birthYear int, female bool, serial int) string {
	if birthYear < 1900 || birthYear > 2399 {
		panic(fmt.Sprintf("registry: birth year %d outside the personal ID range", birthYear))
	}
	g := 2 * ((birthYear - 1900) / 100)
	if female {
		g++
	}
	return fmt.Sprintf("%s%d%02d%06d", province, g, birthYear%100, serial%1000000)
}

// CheckID validates a personal ID against a date of birth and a sex, as the
// record states them. An empty or partial date checks what it can; an empty
// sex skips the sex check.
func CheckID(id string, dob Date, sex string) error {
	p, err := ParseID(id)
	if err != nil {
		return err
	}
	if !dob.IsZero() && dob.Year != p.BirthYear {
		return fmt.Errorf("%w: ID %s encodes birth year %d, record says %d", ErrIDBirthYear, id, p.BirthYear, dob.Year)
	}
	switch sex {
	case SexMale, SexFemale:
		if (sex == SexFemale) != p.Female {
			return fmt.Errorf("%w: ID %s encodes %s, record says %s", ErrIDSex, id, sexOf(p.Female), sex)
		}
	}
	return nil
}

func sexOf(female bool) string {
	if female {
		return SexFemale
	}
	return SexMale
}

// IsProvisional reports whether s is an edge-issued provisional ID of a
// birth not yet committed ("P" + node + "-" + sequence).
func IsProvisional(s string) bool { return len(s) > 2 && s[0] == 'P' && s[1] == '-' }

// ProvisionalID is the ID an edge gives a newborn before the city assigns a
// personal ID. It cannot collide: node IDs are unique, sequences never reused.
func ProvisionalID(node string, seq uint64) string {
	return "P-" + node + "-" + strconv.FormatUint(seq, 10)
}
