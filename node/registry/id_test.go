package registry

import (
	"errors"
	"testing"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		id      string
		want    PersonalID
		wantErr error
	}{
		{"092095012345", PersonalID{"092", 1995, false, "012345"}, nil},
		{"001195012345", PersonalID{"001", 1995, true, "012345"}, nil},
		{"079200000001", PersonalID{"079", 2000, false, "000001"}, nil},
		{"079399999999", PersonalID{"079", 2099, true, "999999"}, nil},
		{"092450000000", PersonalID{"092", 2150, false, "000000"}, nil},
		{"092512000000", PersonalID{"092", 2112, true, "000000"}, nil},
		{"092699123456", PersonalID{"092", 2299, false, "123456"}, nil},
		{"092701123456", PersonalID{"092", 2201, true, "123456"}, nil},
		{"092800123456", PersonalID{"092", 2300, false, "123456"}, nil},
		{"092999123456", PersonalID{"092", 2399, true, "123456"}, nil},
		// The law guarantees only 12 digits: an unknown province is accepted.
		{"999095012345", PersonalID{"999", 1995, false, "012345"}, nil},
		{"000000000000", PersonalID{"000", 1900, false, "000000"}, nil},
		{"", PersonalID{}, ErrIDFormat},
		{"09209501234", PersonalID{}, ErrIDFormat},
		{"0920950123456", PersonalID{}, ErrIDFormat},
		{"09209501234a", PersonalID{}, ErrIDFormat},
		{"092 95012345", PersonalID{}, ErrIDFormat},
		{"-92095012345", PersonalID{}, ErrIDFormat},
		{"０92095012345", PersonalID{}, ErrIDFormat}, // full-width digit
		{"P-edge1-17", PersonalID{}, ErrIDFormat},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.id)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseID(%q) error = %v, want %v", tt.id, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseID(%q) = %+v, want %+v", tt.id, got, tt.want)
		}
	}
}

func TestMakeIDCenturyDigit(t *testing.T) {
	tests := []struct {
		year   int
		female bool
		digit  byte
	}{
		{1900, false, '0'}, {1999, true, '1'},
		{2000, false, '2'}, {2026, true, '3'},
		{2100, false, '4'}, {2150, true, '5'},
		{2200, false, '6'}, {2299, true, '7'},
		{2300, false, '8'}, {2399, true, '9'},
	}
	for _, tt := range tests {
		id := MakeID("092", tt.year, tt.female, 4321)
		if len(id) != 12 || id[3] != tt.digit || id[6:] != "004321" || id[:3] != "092" {
			t.Errorf("MakeID(092, %d, female=%v, 4321) = %q, want century digit %c", tt.year, tt.female, id, tt.digit)
			continue
		}
		p, err := ParseID(id)
		if err != nil {
			t.Fatalf("ParseID(MakeID) = %v", err)
		}
		if p.BirthYear != tt.year || p.Female != tt.female {
			t.Errorf("ParseID(%q) = %+v, want year %d female %v", id, p, tt.year, tt.female)
		}
	}
}

func TestMakeIDPanicsOutsideRange(t *testing.T) {
	for _, year := range []int{1899, 2400, 0} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MakeID with year %d did not panic", year)
				}
			}()
			MakeID("092", year, false, 1)
		}()
	}
}

func TestCheckID(t *testing.T) {
	dob := func(s string) Date {
		d, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name    string
		id      string
		dob     Date
		sex     string
		wantErr error
	}{
		{"male 1995", "092095012345", dob("1995-03-08"), SexMale, nil},
		{"female 1995", "092195012345", dob("1995-03-08"), SexFemale, nil},
		{"female 2003", "092303000001", dob("2003-12-31"), SexFemale, nil},
		{"year only", "092060000001", dob("1960"), SexMale, nil},
		{"year and month", "092060000001", dob("1960-07"), SexMale, nil},
		{"no date", "092060000001", Date{}, SexMale, nil},
		{"no sex", "092160000001", dob("1960"), "", nil},
		{"unknown sex value skipped", "092160000001", dob("1960"), "X", nil},
		{"unknown province", "999095012345", dob("1995-01-01"), SexMale, nil},
		{"birth year mismatch", "092095012345", dob("1996-03-08"), SexMale, ErrIDBirthYear},
		{"century mismatch", "092295012345", dob("1995-03-08"), SexMale, ErrIDBirthYear},
		{"sex mismatch male", "092095012345", dob("1995-03-08"), SexFemale, ErrIDSex},
		{"sex mismatch female", "092195012345", dob("1995-03-08"), SexMale, ErrIDSex},
		{"not digits", "09209501234x", dob("1995-03-08"), SexMale, ErrIDFormat},
		{"too short", "0920950123", dob("1995-03-08"), SexMale, ErrIDFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckID(tt.id, tt.dob, tt.sex)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckID(%q, %v, %q) = %v, want %v", tt.id, tt.dob, tt.sex, err, tt.wantErr)
			}
		})
	}
}

func TestProvisionalID(t *testing.T) {
	id := ProvisionalID("edge-92101", 17)
	if id != "P-edge-92101-17" {
		t.Errorf("ProvisionalID = %q", id)
	}
	if !IsProvisional(id) {
		t.Errorf("IsProvisional(%q) = false", id)
	}
	for _, s := range []string{"", "P", "P-", "092095012345", "p-edge-1", "X-edge-1"} {
		if IsProvisional(s) {
			t.Errorf("IsProvisional(%q) = true", s)
		}
	}
}
