package emrtd

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

var checkWeights = [3]int{7, 3, 1}

// CheckDigit computes the ICAO 9303-3 check digit of an MRZ field: weights
// 7, 3, 1 repeating; digits count as themselves, A-Z as 10-35, '<' as 0.
func CheckDigit(field string) (int, error) {
	sum := 0
	for i := 0; i < len(field); i++ {
		v, err := mrzValue(field[i])
		if err != nil {
			return 0, err
		}
		sum += v * checkWeights[i%3]
	}
	return sum % 10, nil
}

// CheckDigitChar is CheckDigit as the MRZ character '0'..'9'.
func CheckDigitChar(field string) (byte, error) {
	d, err := CheckDigit(field)
	return byte('0' + d), err
}

func mrzValue(c byte) (int, error) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), nil
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, nil
	case c == '<':
		return 0, nil
	}
	return 0, fmt.Errorf("emrtd: %q is not an MRZ character (0-9, A-Z, <)", c)
}

// BACKey is the MRZ data that derive the BAC keys (ICAO 9303-11 4.3 and
// Appendix D.2).
type BACKey struct {
	// DocumentNumber as printed in the MRZ, without trailing fillers; it may
	// be longer than 9 characters. For the Vietnamese CCCD it is the last 9
	// digits of the 12-digit personal ID.
	DocumentNumber string
	// DateOfBirth and DateOfExpiry are YYMMDD as in the MRZ.
	DateOfBirth  string
	DateOfExpiry string
}

// MRZInformation returns document number (padded to 9 with '<') + check
// digit + date of birth + check digit + date of expiry + check digit.
func (k BACKey) MRZInformation() (string, error) {
	doc := strings.TrimRight(strings.ToUpper(k.DocumentNumber), "<")
	if doc == "" {
		return "", fmt.Errorf("%w: empty document number", ErrInvalidKey)
	}
	if len(doc) < 9 {
		doc += strings.Repeat("<", 9-len(doc))
	}
	if err := validDate("date of birth", k.DateOfBirth); err != nil {
		return "", err
	}
	if err := validDate("date of expiry", k.DateOfExpiry); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range []string{doc, k.DateOfBirth, k.DateOfExpiry} {
		c, err := CheckDigitChar(f)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		b.WriteString(f)
		b.WriteByte(c)
	}
	return b.String(), nil
}

// Seed returns Kseed, the first 16 bytes of SHA-1 over the MRZ information.
func (k BACKey) Seed() ([]byte, error) {
	info, err := k.MRZInformation()
	if err != nil {
		return nil, err
	}
	h := sha1.Sum([]byte(info))
	return h[:16], nil
}

// validDate accepts YYMMDD, and '<' for unknown parts (ICAO 9303-3 4.6:
// people with only a known birth year have fillers in their MRZ).
func validDate(what, s string) error {
	if len(s) != 6 || strings.Trim(s, "0123456789<") != "" {
		return fmt.Errorf("%w: %s %q is not YYMMDD", ErrInvalidKey, what, s)
	}
	if strings.Contains(s, "<") {
		return nil
	}
	month, day := (s[2]-'0')*10+s[3]-'0', (s[4]-'0')*10+s[5]-'0'
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return fmt.Errorf("%w: %s %q is not a valid YYMMDD date", ErrInvalidKey, what, s)
	}
	return nil
}
