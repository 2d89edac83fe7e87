package vncard

import (
	"encoding/json"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		iso     string
		wantErr bool
	}{
		{in: "08/03/1995", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: "8/3/1995", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: "08031995", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: "08-03-1995", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: "08.03.1995", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: "1995-03-08", want: Date{1995, 3, 8}, iso: "1995-03-08"},
		{in: " 29/02/2000 ", want: Date{2000, 2, 29}, iso: "2000-02-29"},
		{in: "00/00/1950", want: Date{Year: 1950}, iso: "1950"},
		{in: "1950", want: Date{Year: 1950}, iso: "1950"},
		{in: "03/1950", want: Date{Year: 1950, Month: 3}, iso: "1950-03"},
		{in: "29/02/2001", wantErr: true},
		{in: "31/04/2020", wantErr: true},
		{in: "15/13/2020", wantErr: true},
		{in: "05/00/2020", wantErr: true},
		{in: "Không thời hạn", wantErr: true},
		{in: "", wantErr: true},
		{in: "1/2/3", wantErr: true},
		{in: "0803199", wantErr: true},
		{in: "+8/03/1995", wantErr: true},
		{in: "08/03/0095", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.iso {
			t.Errorf("ParseDate(%q) = %v (%s), %v; want %v", tc.in, got, got, err, tc.want)
		}
	}
}

func TestDateForms(t *testing.T) {
	tests := []struct {
		d             Date
		dmy, yymmdd   string
		isoJSONQuoted string
	}{
		{Date{1995, 3, 8}, "08/03/1995", "950308", `"1995-03-08"`},
		{Date{2035, 12, 31}, "31/12/2035", "351231", `"2035-12-31"`},
		{Date{Year: 1950}, "00/00/1950", "50<<<<", `"1950"`},
		{Date{}, "", "00<<<<", `""`},
	}
	for _, tc := range tests {
		if tc.d.DMY() != tc.dmy || tc.d.YYMMDD() != tc.yymmdd {
			t.Errorf("%v: DMY %q YYMMDD %q", tc.d, tc.d.DMY(), tc.d.YYMMDD())
		}
		b, err := json.Marshal(tc.d)
		if err != nil || string(b) != tc.isoJSONQuoted {
			t.Errorf("%v: JSON %s, %v", tc.d, b, err)
		}
		var back Date
		if err := json.Unmarshal(b, &back); err != nil || back != tc.d {
			t.Errorf("%v: JSON round trip %v, %v", tc.d, back, err)
		}
	}
}
