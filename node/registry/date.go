package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrDate is returned for a date that cannot be parsed or does not exist.
var ErrDate = errors.New("invalid date")

// Date is a calendar date that may be partial: records of older citizens
// often know only the year, or the year and month. Zero Month/Day mean
// unknown. The zero Date is "no date".
type Date struct {
	Year, Month, Day int
}

// ParseDate accepts "YYYY-MM-DD", "YYYY-MM", "YYYY", and the card forms
// "DD/MM/YYYY" and "DDMMYYYY". The empty string gives the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	var d Date
	var err error
	switch {
	case s == "":
		return Date{}, nil
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		d, err = dateParts(s[0:4], s[5:7], s[8:10])
	case len(s) == 7 && s[4] == '-':
		d, err = dateParts(s[0:4], s[5:7], "")
	case len(s) == 4:
		d, err = dateParts(s, "", "")
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		d, err = dateParts(s[6:10], s[3:5], s[0:2])
	case len(s) == 8:
		d, err = dateParts(s[4:8], s[2:4], s[0:2])
	default:
		return Date{}, fmt.Errorf("%w: %q (expected YYYY-MM-DD)", ErrDate, s)
	}
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q: %v", ErrDate, s, err)
	}
	return d, nil
}

func dateParts(y, m, d string) (Date, error) {
	var out Date
	var err error
	if out.Year, err = digits(y); err != nil {
		return Date{}, err
	}
	if m != "" {
		if out.Month, err = digits(m); err != nil {
			return Date{}, err
		}
	}
	if d != "" {
		if out.Day, err = digits(d); err != nil {
			return Date{}, err
		}
	}
	return out, out.check()
}

func digits(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	return strconv.Atoi(s)
}

func (d Date) check() error {
	if d.Year < 1800 || d.Year > 2399 {
		return fmt.Errorf("year %d out of range", d.Year)
	}
	if d.Month == 0 {
		if d.Day != 0 {
			return errors.New("day without month")
		}
		return nil
	}
	if d.Month > 12 {
		return fmt.Errorf("month %d out of range", d.Month)
	}
	if d.Day == 0 {
		return nil
	}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	if t.Day() != d.Day {
		return fmt.Errorf("day %d does not exist in %04d-%02d", d.Day, d.Year, d.Month)
	}
	return nil
}

// IsZero reports whether no date is known.
func (d Date) IsZero() bool { return d.Year == 0 }

// String gives the canonical form: "YYYY-MM-DD", "YYYY-MM", "YYYY" or "".
func (d Date) String() string {
	if d.Year == 0 {
		return ""
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return d.slowString()
	}
	// Every change's dates are normalized through here on every replica:
	// formatted by hand, as fmt would, without its cost.
	b := make([]byte, 0, 10)
	b = append(b, byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10))
	if d.Month == 0 {
		return string(b)
	}
	b = append(b, '-', byte('0'+d.Month/10), byte('0'+d.Month%10))
	if d.Day == 0 {
		return string(b)
	}
	return string(append(b, '-', byte('0'+d.Day/10), byte('0'+d.Day%10)))
}

// slowString is String for dates no parser makes (a year past 9999).
func (d Date) slowString() string {
	switch {
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Display gives the Vietnamese form dd/mm/yyyy (or mm/yyyy, yyyy).
func (d Date) Display() string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// After reports whether d is known to be after t's calendar day (UTC).
func (d Date) After(t time.Time) bool {
	if d.IsZero() {
		return false
	}
	y, m, day := t.UTC().Date()
	if d.Year != y {
		return d.Year > y
	}
	if d.Month == 0 || d.Month != int(m) {
		return d.Month > int(m)
	}
	return d.Day > day
}
