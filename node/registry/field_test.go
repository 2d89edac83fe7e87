package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// decomposedNguyen is "Nguyễn" in NFD, as some keyboards and PDF copies
// produce it: e + combining circumflex + combining tilde.
const decomposedNguyen = "Nguye\u0302\u0303n"

func TestFieldNames(t *testing.T) {
	seen := map[string]bool{}
	for f := Field(1); int(f) < NumFields; f++ {
		name := f.String()
		if name == "" || seen[name] {
			t.Errorf("field %d has empty or repeated name %q", f, name)
		}
		seen[name] = true
		if back, ok := FieldByName(name); !ok || back != f {
			t.Errorf("FieldByName(%q) = %v, %v; want %v", name, back, ok, f)
		}
	}
	for _, f := range []Field{0, Field(NumFields), 255} {
		if f.Valid() {
			t.Errorf("Field(%d).Valid() = true", f)
		}
		if !strings.HasPrefix(f.String(), "field(") {
			t.Errorf("Field(%d).String() = %q", f, f.String())
		}
	}
	if _, ok := FieldByName("nope"); ok {
		t.Error(`FieldByName("nope") found a field`)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		f       Field
		in      string
		want    string
		wantErr bool
	}{
		{"empty clears", FieldFullName, "", "", false},
		{"only spaces clear", FieldFullName, " \t\n ", "", false},
		{"text NFC", FieldFullName, decomposedNguyen + " Văn An", "Nguyễn Văn An", false},
		{"text already NFC", FieldFullName, "Nguyễn Thị Thu Hà", "Nguyễn Thị Thu Hà", false},
		{"text collapses spaces", FieldFullName, "  Nguyễn \t Văn\n\nAn  ", "Nguyễn Văn An", false},
		{"text collapses NBSP", FieldFullName, "Trần\u00a0Thị Lan", "Trần Thị Lan", false},
		{"text control char", FieldFullName, "Lê\x00Văn", "", true},
		{"text DEL", FieldReligion, "Phật\x7fgiáo", "", true},
		{"text C1 control", FieldHometown, "Cần\u0090Thơ", "", true},
		{"text not UTF-8", FieldFullName, "Nguy\xffn", "", true},
		{"text at limit", FieldFeatures, strings.Repeat("a", MaxValueLen), strings.Repeat("a", MaxValueLen), false},
		{"text oversize", FieldFeatures, strings.Repeat("a", MaxValueLen+1), "", true},
		{"oversize before collapsing", FieldFeatures, strings.Repeat(" ", MaxValueLen+1), "", true},
		// U+0958 has a composition exclusion: NFC decomposes it to 6 bytes.
		{"oversize after NFC", FieldFeatures, strings.Repeat("\u0958", MaxValueLen/3), "", true},

		{"date full", FieldBirthDate, "1995-03-08", "1995-03-08", false},
		{"date card form", FieldBirthDate, "08/03/1995", "1995-03-08", false},
		{"date compact form", FieldCardExpiry, "08032035", "2035-03-08", false},
		{"date partial", FieldBirthDate, "1932", "1932", false},
		{"date invalid", FieldDeathDate, "2023-02-29", "", true},
		{"date spaces inside", FieldBirthDate, "1995 03 08", "", true},

		{"id", FieldFatherID, " 092060000001 ", "092060000001", false},
		{"id short", FieldSpouseID, "09206000000", "", true},
		{"id provisional refused", FieldMotherID, "P-edge-1", "", true},

		{"old id", FieldOldID, "361234567", "361234567", false},
		{"old id 12 digits", FieldOldID, "092060000001", "", true},
		{"old id letters", FieldOldID, "36123456X", "", true},

		{"sex M", FieldSex, "M", "M", false},
		{"sex F", FieldSex, " F ", "F", false},
		{"sex lower", FieldSex, "f", "", true},
		{"sex vietnamese", FieldSex, "Nam", "", true},

		{"status alive", FieldStatus, "alive", "alive", false},
		{"status deceased", FieldStatus, "deceased", "deceased", false},
		{"status other", FieldStatus, "missing", "", true},

		{"code", FieldHousehold, "HK92101-000123", "HK92101-000123", false},
		{"code trimmed", FieldCommune, " 92101 ", "92101", false},
		{"code inner space", FieldCommune, "921 01", "", true},
		{"code non-ASCII", FieldCommune, "Phường", "", true},
		{"code control char", FieldCardNumber, "0920\x0160000001", "", true},
		{"code DEL", FieldHousehold, "HK\x7f1", "", true},

		{"unknown field", Field(0), "x", "", true},
		{"unknown field high", Field(NumFields), "x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Normalize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("%v.Normalize(%q) = %q, %v; wantErr %v", tt.f, tt.in, got, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrField) {
					t.Errorf("error %v is not ErrField", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("%v.Normalize(%q) = %q, want %q", tt.f, tt.in, got, tt.want)
			}
			if again, err := tt.f.Normalize(got); err != nil || again != got {
				t.Errorf("Normalize is not idempotent: %q → %q, %v", got, again, err)
			}
		})
	}
}

func TestNormalizeErrorNamesField(t *testing.T) {
	_, err := FieldSpouseID.Normalize("abc")
	if err == nil || !strings.Contains(err.Error(), "spouse_id") {
		t.Errorf("error %v does not name the field", err)
	}
}

func TestFoldName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nguyễn Văn Đức", "nguyen van duc"},
		{"ĐẶNG thị  Ánh", "dang thi anh"},
		{decomposedNguyen + " Thị Thu Hà", "nguyen thi thu ha"},
		{"  Trương\tMỹ   Linh  ", "truong my linh"},
		{"Huỳnh Phước Lộc", "huynh phuoc loc"},
		{"Lưu Ngọc Ửng", "luu ngoc ung"},
		{"Thạch Sa Rết", "thach sa ret"},
		{"nguyen van an", "nguyen van an"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := FoldName(tt.in); got != tt.want {
			t.Errorf("FoldName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Both normal forms of the same name fold to the same key.
	nfc := norm.NFC.String(decomposedNguyen)
	if FoldName(nfc) != FoldName(decomposedNguyen) {
		t.Errorf("NFC and NFD fold differently: %q vs %q", FoldName(nfc), FoldName(decomposedNguyen))
	}
}

func TestPatchFromMap(t *testing.T) {
	p, err := PatchFromMap(map[string]string{
		"sex":        "F",
		"full_name":  "  " + decomposedNguyen + "  Thị   Lan ",
		"birth_date": "08/03/1995",
		"commune":    "92101",
		"features":   "",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Patch{
		{FieldFullName, "Nguyễn Thị Lan"},
		{FieldBirthDate, "1995-03-08"},
		{FieldSex, "F"},
		{FieldCommune, "92101"},
		{FieldFeatures, ""},
	}
	if len(p) != len(want) {
		t.Fatalf("PatchFromMap = %v, want %v", p, want)
	}
	for i := range want {
		if p[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, p[i], want[i])
		}
	}
	if v, ok := p.Get(FieldSex); !ok || v != "F" {
		t.Errorf("Get(sex) = %q, %v", v, ok)
	}
	if _, ok := p.Get(FieldReligion); ok {
		t.Error("Get(religion) found an entry")
	}
	m := p.Map()
	if len(m) != 5 || m["full_name"] != "Nguyễn Thị Lan" || m["features"] != "" {
		t.Errorf("Map() = %v", m)
	}
}

func TestPatchFromMapErrors(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"unknown field", map[string]string{"full_name": "An", "shoe_size": "42"}, `unknown field "shoe_size"`},
		{"bad value", map[string]string{"sex": "Nam"}, "sex must be M or F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PatchFromMap(tt.in)
			if !errors.Is(err, ErrField) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PatchFromMap(%v) = %v, want ErrField mentioning %q", tt.in, err, tt.want)
			}
		})
	}
}

// TestNormalizeFullDate: a date written YYYY-MM-DD normalizes to what
// ParseDate and Date.String make of it, the shortcut for one already
// canonical included.
func TestNormalizeFullDate(t *testing.T) {
	for _, y := range []int{1799, 1800, 1999, 2024, 2399, 2400} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				v := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				got, err := FieldBirthDate.Normalize(v)
				want, werr := ParseDate(v)
				if (err != nil) != (werr != nil) || err == nil && got != want.String() {
					t.Fatalf("Normalize(%q) = %q, %v; ParseDate gives %q, %v", v, got, err, want.String(), werr)
				}
			}
		}
	}
}
