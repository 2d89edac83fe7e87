package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleMap = `# old units → units in force (sample)
old_commune,old_district,old_province,new_commune,new_province
Phường Xuân Khánh,Quận Ninh Kiều,Thành phố Cần Thơ,Phường Ninh Kiều,Thành phố Cần Thơ
Phường Tân An,Quận Ninh Kiều,Thành phố Cần Thơ,Phường Ninh Kiều,Thành phố Cần Thơ
Phường An Khánh,Quận Ninh Kiều,Thành phố Cần Thơ,Phường Tân An,Thành phố Cần Thơ
Phường Bùi Hữu Nghĩa,Quận Bình Thủy,Thành phố Cần Thơ,Phường Cái Khế,Thành phố Cần Thơ
Phường Bùi Hữu Nghĩa,Quận Bình Thủy,Thành phố Cần Thơ,Phường Bình Thủy,Thành phố Cần Thơ
"Phường 5","TP Sóc Trăng","Tỉnh Sóc Trăng","Phường Sóc Trăng","TP Cần Thơ"
`

func mustUnitMap(t *testing.T, text string) *UnitMap {
	t.Helper()
	m, err := ParseUnitMap(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSamePlace(t *testing.T) {
	m := mustUnitMap(t, sampleMap)
	if m.Len() != 6 {
		t.Errorf("Len = %d, want 6", m.Len())
	}
	const record = "Số 12 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"
	tests := []struct {
		name          string
		chip, rec     string
		same, renamed bool
	}{
		{"identical", record, record, true, false},
		{"case, spacing and the TP abbreviation", "số 12  đường Mậu Thân, phường Ninh Kiều, Thành phố Cần Thơ", record, true, false},
		{"a ward merged into another", "Số 12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ", record, true, true},
		{"abbreviated old units", "Số 12 Đường Mậu Thân, P. Xuân Khánh, Q. Ninh Kiều, TP. Cần Thơ", record, true, true},
		{"either side may be the old one", record, "Số 12 Đường Mậu Thân, Phường Tân An, Quận Ninh Kiều, Thành phố Cần Thơ", true, true},
		{"the old ward went elsewhere", "Số 12 Đường Mậu Thân, Phường An Khánh, Quận Ninh Kiều, TP Cần Thơ", record, false, false},
		{"another street, same ward", "Số 14 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ", record, false, false},
		{"a split ward, first part", "Số 3 Đường Cách Mạng Tháng 8, Phường Bùi Hữu Nghĩa, Quận Bình Thủy, TP Cần Thơ",
			"Số 3 Đường Cách Mạng Tháng 8, Phường Cái Khế, TP Cần Thơ", true, true},
		{"a split ward, second part", "Số 3 Đường Cách Mạng Tháng 8, Phường Bùi Hữu Nghĩa, Quận Bình Thủy, TP Cần Thơ",
			"Số 3 Đường Cách Mạng Tháng 8, Phường Bình Thủy, TP Cần Thơ", true, true},
		{"a merged province", "Số 9 Đường Hùng Vương, Phường 5, TP Sóc Trăng, Tỉnh Sóc Trăng", "Số 9 Đường Hùng Vương, Phường Sóc Trăng, Thành phố Cần Thơ", true, true},
		{"a unit the map does not know", "Phường Hàng Bài, Quận Hoàn Kiếm, TP Hà Nội", "Phường Hoàn Kiếm, TP Hà Nội", false, false},
		{"two old forms agree as text", "Phường Hàng Bài, Quận Hoàn Kiếm, TP Hà Nội", "phường Hàng Bài, quận Hoàn Kiếm, thành phố Hà Nội", true, false},
		{"no units at all", "12 Mậu Thân", "12 Mậu Thân", true, false},
		{"no units, different", "12 Mậu Thân", "14 Mậu Thân", false, false},
		{"a province with no commune is text", "Ấp Mỹ Ái, Huyện Phong Điền, TP Cần Thơ", "Ấp Mỹ Ái, TP Cần Thơ", false, false},
	}
	for _, tt := range tests {
		same, renamed := m.SamePlace(tt.chip, tt.rec)
		if same != tt.same || renamed != tt.renamed {
			t.Errorf("%s: SamePlace(%q, %q) = %v, %v; want %v, %v", tt.name, tt.chip, tt.rec, same, renamed, tt.same, tt.renamed)
		}
		if same2, renamed2 := m.SamePlace(tt.rec, tt.chip); same2 != same || renamed2 != renamed {
			t.Errorf("%s: not symmetric", tt.name)
		}
	}
	var none *UnitMap
	if same, _ := none.SamePlace("Số 12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ", record); same {
		t.Error("without a map, a renamed unit is a difference")
	}
	if same, _ := none.SamePlace("số 12 đường mậu thân, phường ninh kiều, tp cần thơ", record); !same {
		t.Error("without a map, the text comparison still ignores case")
	}
}

func TestParseUnitMapRefuses(t *testing.T) {
	head := strings.Join(UnitMapHeader, ",") + "\n"
	tests := []struct{ name, text, want string }{
		{"empty", "", "header"},
		{"wrong header", "a,b,c,d,e\n", "header must be"},
		{"header only", head, "no rows"},
		{"missing column", head + "Phường A,Quận B,Tỉnh C,Phường D\n", "wrong number of fields"},
		{"swapped columns", head + "Quận Ninh Kiều,Phường Xuân Khánh,TP Cần Thơ,Phường Ninh Kiều,TP Cần Thơ\n", "line 2: old_commune"},
		{"empty new province", head + "Phường A,Quận B,Tỉnh C,Phường D,\n", "new_province"},
		{"a type word alone", head + "Phường,Quận B,Tỉnh C,Phường D,Tỉnh C\n", "old_commune"},
		{"a row twice", head + "Phường A,Quận B,Tỉnh C,Phường D,Tỉnh C\nphường A,quận B,tỉnh C,phường D,tỉnh C\n", "line 3: phường A, quận B, tỉnh C → phường D, tỉnh C is listed twice"},
	}
	for _, tt := range tests {
		_, err := ParseUnitMap(strings.NewReader(tt.text))
		if !errors.Is(err, ErrUnitMap) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrUnitMap naming %q", tt.name, err, tt.want)
		}
	}
	bom := "\ufeff" + head + "Phường A,Quận B,Tỉnh C,Phường D,Tỉnh C\n" // as spreadsheets save UTF-8
	if _, err := ParseUnitMap(strings.NewReader(bom)); err != nil {
		t.Errorf("a byte order mark before the header: %v", err)
	}
}

// TestSampleUnitMap: the sample city IT starts from (testdata) parses and
// maps the units the generator's old addresses use.
func TestSampleUnitMap(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "unitmap", "can-tho-2025.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseUnitMap(f)
	if err != nil {
		t.Fatal(err)
	}
	if same, renamed := m.SamePlace("Số 1 Đường Trần Phú, Phường An Hòa, Quận Ninh Kiều, Thành phố Cần Thơ",
		"Số 1 Đường Trần Phú, Phường Cái Khế, Thành phố Cần Thơ"); !same || !renamed {
		t.Error("the sample does not map Phường An Hòa to Phường Cái Khế")
	}
}

// FuzzUnitMap: a unit map file comes from outside the program. Parsing
// never panics, and what parses compares addresses reflexively and
// symmetrically.
func FuzzUnitMap(f *testing.F) {
	f.Add(sampleMap, "Số 12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ", "Số 12 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ")
	f.Add(strings.Join(UnitMapHeader, ",")+"\n\"a,b\",c,d,e,f\n", "P. A, Q. B, TP. C", ",,,")
	f.Add("", "", "tp ")
	f.Fuzz(func(t *testing.T, text, x, y string) {
		m, err := ParseUnitMap(strings.NewReader(text))
		if err != nil {
			m = nil
		}
		if same, renamed := m.SamePlace(x, x); !same || renamed {
			t.Fatalf("%q is not the same place as itself (%v, %v)", x, same, renamed)
		}
		s1, r1 := m.SamePlace(x, y)
		s2, r2 := m.SamePlace(y, x)
		if s1 != s2 || r1 != r2 {
			t.Fatalf("not symmetric: %q, %q", x, y)
		}
	})
}
