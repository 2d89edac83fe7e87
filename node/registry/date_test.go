package registry

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"", Date{}, false},
		{"   ", Date{}, false},
		{"1995-03-08", Date{1995, 3, 8}, false},
		{" 1995-03-08\t", Date{1995, 3, 8}, false},
		{"1995-03", Date{1995, 3, 0}, false},
		{"1995", Date{1995, 0, 0}, false},
		{"08/03/1995", Date{1995, 3, 8}, false},
		{"08031995", Date{1995, 3, 8}, false},
		{"2024-02-29", Date{2024, 2, 29}, false}, // leap year
		{"2000-02-29", Date{2000, 2, 29}, false}, // divisible by 400
		{"29/02/2024", Date{2024, 2, 29}, false},
		{"1800", Date{1800, 0, 0}, false},
		{"2399-12-31", Date{2399, 12, 31}, false},

		{"2023-02-29", Date{}, true}, // not a leap year
		{"1900-02-29", Date{}, true}, // divisible by 100, not 400
		{"29022023", Date{}, true},
		{"1995-13-01", Date{}, true},
		{"1995-13", Date{}, true},
		{"1995-00-05", Date{}, true}, // day without month
		{"05/00/1995", Date{}, true},
		{"1995-04-31", Date{}, true},
		{"1995-01-32", Date{}, true},
		{"1799", Date{}, true},
		{"2400", Date{}, true},
		{"0000", Date{}, true},
		{"19a5", Date{}, true},
		{"1995-3-8", Date{}, true},
		{"1995/03/08", Date{}, true},
		{"8/3/1995", Date{}, true},
		{"+995-03-08", Date{}, true},
		{"1995-03-08T00:00:00Z", Date{}, true},
		{"95", Date{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDate(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, ErrDate) {
			t.Errorf("ParseDate(%q) error %v is not ErrDate", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("ParseDate(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestDateStringDisplay(t *testing.T) {
	tests := []struct {
		d            Date
		str, display string
	}{
		{Date{}, "", ""},
		{Date{1995, 3, 8}, "1995-03-08", "08/03/1995"},
		{Date{1995, 3, 0}, "1995-03", "03/1995"},
		{Date{1932, 0, 0}, "1932", "1932"},
		{Date{2024, 12, 31}, "2024-12-31", "31/12/2024"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.d, got, tt.str)
		}
		if got := tt.d.Display(); got != tt.display {
			t.Errorf("%+v.Display() = %q, want %q", tt.d, got, tt.display)
		}
		back, err := ParseDate(tt.d.String())
		if err != nil || back != tt.d {
			t.Errorf("ParseDate(%q) = %+v, %v; want %+v", tt.d.String(), back, err, tt.d)
		}
	}
}

// TestDateStringIsFmts: String formats by hand what fmt's %04d-%02d-%02d
// gives (the stored bytes depend on it), for every year a parser makes and
// beyond.
func TestDateStringIsFmts(t *testing.T) {
	for _, y := range []int{1, 9, 10, 99, 100, 999, 1000, 1900, 2026, 9999, 10000, -1} {
		for _, m := range []int{0, 1, 9, 10, 12} {
			for _, d := range []int{0, 1, 9, 10, 31} {
				if m == 0 && d != 0 {
					continue
				}
				want := fmt.Sprintf("%04d", y)
				if m > 0 {
					want += fmt.Sprintf("-%02d", m)
				}
				if d > 0 {
					want += fmt.Sprintf("-%02d", d)
				}
				if got := (Date{y, m, d}).String(); got != want {
					t.Errorf("%d-%d-%d: %q, want %q", y, m, d, got, want)
				}
			}
		}
	}
}

func TestDateAfter(t *testing.T) {
	ref := time.Date(2026, 5, 15, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		d    Date
		want bool
	}{
		{Date{}, false},
		{Date{2027, 0, 0}, true},
		{Date{2025, 12, 31}, false},
		{Date{2026, 0, 0}, false}, // unknown month: not known to be after
		{Date{2026, 5, 0}, false},
		{Date{2026, 6, 0}, true},
		{Date{2026, 4, 30}, false},
		{Date{2026, 5, 15}, false},
		{Date{2026, 5, 16}, true},
	}
	for _, tt := range tests {
		if got := tt.d.After(ref); got != tt.want {
			t.Errorf("%v.After(%v) = %v, want %v", tt.d, ref, got, tt.want)
		}
	}
	// After compares calendar days in UTC, whatever t's zone.
	ict := time.FixedZone("ICT", 7*3600)
	if !(Date{2026, 5, 16}).After(time.Date(2026, 5, 16, 6, 0, 0, 0, ict)) {
		t.Error("06:00 ICT on 16 May is 15 May UTC: 16 May should be after it")
	}
}
