package registry

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCitizenAccessors(t *testing.T) {
	c := sampleCitizen(false)
	if c.Get(FieldFullName) != "Nguyễn Thị Thu Hà" || c.Get(FieldSpouseID) != "" {
		t.Errorf("Get: %q, %q", c.Get(FieldFullName), c.Get(FieldSpouseID))
	}
	if c.Get(Field(0)) != "" || c.Get(Field(NumFields)) != "" {
		t.Error("Get of an invalid field is not empty")
	}
	if c.BirthDate() != (Date{1995, 3, 8}) {
		t.Errorf("BirthDate() = %v", c.BirthDate())
	}
	if c.Deceased() {
		t.Error("Deceased() = true for an alive citizen")
	}
	v := c.Version
	c.Set(FieldStatus, StatusDeceased, Stamp{Index: 7})
	if !c.Deceased() || c.Version != v {
		t.Errorf("after an older stamp: deceased %v, version %d (want %d kept)", c.Deceased(), c.Version, v)
	}
	if m := c.Fields(); len(m) != len(sampleValues) || m["status"] != StatusDeceased {
		t.Errorf("Fields() = %v", m)
	}
}

func TestCitizenJSONRoundTrip(t *testing.T) {
	c := sampleCitizen(false)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var got Citizen
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	want := *c
	want.Stamps = [NumFields]Stamp{} // JSON carries no provenance
	if got != want {
		t.Errorf("round trip\n got %+v\nwant %+v", got, want)
	}
}

func TestCitizenUnmarshalNormalizes(t *testing.T) {
	in := `{"id":"092195012345","version":3,"fields":{
		"full_name":"  ` + decomposedNguyen + `   Thị Thu  Hà ",
		"birth_date":"08/03/1995",
		"sex":" F",
		"religion":"",
		"features":null}}`
	var c Citizen
	c.Values[FieldReligion] = "stale" // unmarshalling replaces the whole record
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "092195012345" || c.Version != 3 {
		t.Errorf("id %q version %d", c.ID, c.Version)
	}
	want := map[Field]string{FieldFullName: "Nguyễn Thị Thu Hà", FieldBirthDate: "1995-03-08", FieldSex: SexFemale}
	for f := Field(1); int(f) < NumFields; f++ {
		if c.Values[f] != want[f] {
			t.Errorf("%s = %q, want %q", f, c.Values[f], want[f])
		}
	}
}

func TestCitizenUnmarshalProvisional(t *testing.T) {
	var c Citizen
	in := `{"id":"P-edge-92101-4","fields":{"full_name":"Lê Bảo An"}}`
	if err := json.Unmarshal([]byte(in), &c); err != nil || c.ID != "P-edge-92101-4" {
		t.Errorf("provisional ID: %v, %q", err, c.ID)
	}
}

func TestCitizenUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		isErr error  // errors.Is target, if any
		want  string // part of the message
	}{
		{"unknown field", `{"id":"092195012345","fields":{"full_name":"An","blood_type":"O"}}`, ErrField, `unknown field "blood_type"`},
		{"unknown key", `{"id":"092195012345","stamps":{},"fields":{}}`, nil, `unknown field "stamps"`},
		{"bad value", `{"id":"092195012345","fields":{"birth_date":"2023-02-29"}}`, ErrField, "birth_date"},
		{"control character", `{"id":"092195012345","fields":{"full_name":"An\u0007"}}`, ErrField, "control"},
		{"bad id", `{"id":"92195012345","fields":{}}`, ErrIDFormat, "id"},
		{"missing id", `{"fields":{"full_name":"An"}}`, ErrIDFormat, "id"},
		{"number value", `{"id":"092195012345","fields":{"sex":1}}`, nil, "fields"},
		{"not an object", `["092195012345"]`, nil, "citizen record"},
		{"negative version", `{"id":"092195012345","version":-1}`, nil, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Citizen
			err := json.Unmarshal([]byte(tt.in), &c)
			if err == nil {
				t.Fatalf("Unmarshal(%s) succeeded: %+v", tt.in, c)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("error %v is not %v", err, tt.isErr)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestFoldNameFastPath: the table path folds exactly as the general one,
// on every letter it covers and on names mixing them with anything else.
func TestFoldNameFastPath(t *testing.T) {
	var all []rune
	for r := rune(0); r < 0x2000; r++ {
		all = append(all, r)
	}
	for _, r := range all {
		if got, want := FoldName("A"+string(r)+"b"), foldSlow("A"+string(r)+"b"); got != want {
			t.Fatalf("U+%04X: %q, want %q", r, got, want)
		}
	}
	for _, s := range []string{"Nguyễn Văn Đức", "  ĐẶNG\tthị  ĐÀO ", "Nguye\u0302\u0303n", "Bé\u00a0Na", "x\x01y", "\xff", "Lê-Thị Ngọc'Ánh", "ß Æ ŉ"} {
		if got, want := FoldName(s), foldSlow(s); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzFoldName(f *testing.F) {
	f.Add("Nguyễn Văn Đức")
	f.Add("Nguye\u0302\u0303n  Thị")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := FoldName(s), foldSlow(s); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", s, got, want)
		}
	})
}
