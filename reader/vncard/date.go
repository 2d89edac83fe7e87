package vncard

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date as the card states it. Month and Day are 0 when
// unknown: older citizens may have only a birth year on record.
type Date struct {
	Year, Month, Day int
}

// IsZero reports whether no date is set.
func (d Date) IsZero() bool { return d == Date{} }

// String returns the ISO 8601 form: YYYY-MM-DD, YYYY-MM or YYYY for partial
// dates, "" for no date.
func (d Date) String() string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// DMY returns dd/mm/yyyy as printed on the card and stored in DG13, with
// 00 for unknown parts.
func (d Date) DMY() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// YYMMDD returns the MRZ form; unknown parts are '<' fillers (ICAO 9303-3).
func (d Date) YYMMDD() string {
	two := func(n int) string {
		if n == 0 {
			return "<<"
		}
		return fmt.Sprintf("%02d", n)
	}
	return fmt.Sprintf("%02d", d.Year%100) + two(d.Month) + two(d.Day)
}

// MarshalText encodes the ISO form, so JSON shows "1995-03-08".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText accepts everything ParseDate does.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseDate reads a date leniently, in the forms Vietnamese cards and forms
// use: dd/mm/yyyy (also with '-' or '.'), ddmmyyyy, d/m/yyyy, mm/yyyy, yyyy,
// and ISO yyyy-mm-dd. Zero day or month ("00/00/1950") means unknown.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	var d Date
	var err error
	switch {
	case len(parts) == 1 && len(s) == 8: // ddmmyyyy
		d, err = dateOf(s[4:8], s[2:4], s[0:2])
	case len(parts) == 1 && len(s) == 4: // yyyy
		d, err = dateOf(s, "0", "0")
	case len(parts) == 2 && len(parts[1]) == 4: // mm/yyyy
		d, err = dateOf(parts[1], parts[0], "0")
	case len(parts) == 3 && len(parts[0]) == 4: // yyyy-mm-dd
		d, err = dateOf(parts[0], parts[1], parts[2])
	case len(parts) == 3 && len(parts[2]) == 4: // dd/mm/yyyy
		d, err = dateOf(parts[2], parts[1], parts[0])
	default:
		return Date{}, fmt.Errorf("vncard: date %q is not dd/mm/yyyy or ddmmyyyy", s)
	}
	if err != nil {
		return Date{}, fmt.Errorf("vncard: date %q: %w", s, err)
	}
	return d, nil
}

func dateOf(y, m, dd string) (Date, error) {
	var n [3]int
	for i, s := range []string{y, m, dd} {
		if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
			return Date{}, fmt.Errorf("%q is not a number", s)
		}
		n[i], _ = strconv.Atoi(s)
	}
	d := Date{Year: n[0], Month: n[1], Day: n[2]}
	return d, d.validate()
}

func (d Date) validate() error {
	switch {
	case d.Year < 1800 || d.Year > 9999:
		return fmt.Errorf("year %d out of range", d.Year)
	case d.Month < 0 || d.Month > 12:
		return fmt.Errorf("month %d out of range", d.Month)
	case d.Month == 0 && d.Day != 0:
		return fmt.Errorf("day %d without a month", d.Day)
	case d.Day == 0:
		return nil
	}
	if t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC); t.Day() != d.Day {
		return fmt.Errorf("no day %d in %04d-%02d", d.Day, d.Year, d.Month)
	}
	return nil
}
