package vncard

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The example of DESIGN.md, "Command line and HTTP surface": a CCCD MRZ as `xanode card read --json` shows it.
var designMRZ = [3]string{"IDVNM1950123452001195012345<<3", "9503087F3503085VNM<<<<<<<<<<<2", "NGUYEN<<THI<THU<HA<<<<<<<<<<<<"}

func loadVector(t testing.TB, key string, into any) {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/vectors/icao9303.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(all[key], into); err != nil {
		t.Fatal(err)
	}
}

func TestParseMRZSpecimens(t *testing.T) {
	var spec struct {
		L1        string `json:"line1_ascii"`
		L2        string `json:"line2_ascii"`
		L3        string `json:"line3_ascii"`
		Doc       string `json:"document_number_ascii"`
		DOB       string `json:"date_of_birth_ascii"`
		Exp       string `json:"date_of_expiry_ascii"`
		Composite int    `json:"composite_check_digit"`
		BACInfo   string `json:"bac_mrz_information_ascii"`
	}
	loadVector(t, "mrz_td1_specimen_part5", &spec)
	var long struct {
		L1  string `json:"td1_line1_ascii"`
		L2  string `json:"td1_line2_ascii"`
		L3  string `json:"td1_line3_ascii"`
		Doc string `json:"document_number_ascii"`
	}
	loadVector(t, "bac_appendix_d2_long_document_number", &long)
	tests := []struct {
		name                     string
		lines                    [3]string
		code, doc, dob, sex, exp string
		sur, given, id           string
	}{
		{"ICAO 9303-5 specimen", [3]string{spec.L1, spec.L2, spec.L3}, "I", spec.Doc, spec.DOB, "F", spec.Exp, "ERIKSSON", "ANNA MARIA", ""},
		{"ICAO 9303-11 D.2 long number", [3]string{long.L1, long.L2, long.L3}, "I", long.Doc, "340712", "M", "950712", "STEVENSON", "PETER JOHN", ""},
		{"CCCD of the design's example", designMRZ, "ID", "195012345", "950308", "F", "350308", "NGUYEN", "THI THU HA", "001195012345"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range []string{strings.Join(tc.lines[:], ""), strings.Join(tc.lines[:], "\n") + "\n", strings.Join(tc.lines[:], "\r\n")} {
				m, err := ParseMRZ(in)
				if err != nil {
					t.Fatal(err)
				}
				if m.DocumentCode != tc.code || m.DocumentNumber != tc.doc || m.DateOfBirth != tc.dob || m.Sex != tc.sex ||
					m.DateOfExpiry != tc.exp || m.Surname != tc.sur || m.GivenNames != tc.given || m.ID() != tc.id {
					t.Fatalf("ParseMRZ = %+v (ID %q)", m, m.ID())
				}
				lines, err := m.Lines()
				if err != nil || lines != tc.lines {
					t.Fatalf("Lines() = %q, %v; want %q", lines, err, tc.lines)
				}
			}
		})
	}
	m, _ := ParseMRZ(spec.L1 + spec.L2 + spec.L3)
	if info, err := m.BACKey().MRZInformation(); err != nil || info != spec.BACInfo {
		t.Fatalf("BAC MRZ information %q, %v; want %q", info, err, spec.BACInfo)
	}
	if got := spec.L2[29] - '0'; int(got) != spec.Composite {
		t.Fatalf("specimen composite %d", got)
	}
}

func TestParseMRZRejects(t *testing.T) {
	join := func(l [3]string) string { return l[0] + l[1] + l[2] }
	with := func(line, pos int, c byte) string {
		l := designMRZ
		b := []byte(l[line])
		b[pos] = c
		l[line] = string(b)
		return join(l)
	}
	tests := []struct{ name, in, want string }{
		{"too short", join(designMRZ)[:89], "89 characters"},
		{"TD3 length", strings.Repeat("<", 88), "88 characters"},
		{"lower case", strings.ToLower(join(designMRZ)), "not 0-9, A-Z"},
		{"document number check", with(0, 14, '3'), "document number"},
		{"date of birth check", with(1, 6, '8'), "date of birth"},
		{"expiry check", with(1, 14, '6'), "date of expiry"},
		{"composite check", with(1, 29, '3'), "composite"},
		{"ID changed", with(0, 20, '6'), "composite"},
		{"bad sex", with(1, 7, 'X'), "sex"},
		{"huge", strings.Repeat("A", 5000), "bytes"},
	}
	for _, tc := range tests {
		if _, err := ParseMRZ(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestNewMRZ(t *testing.T) {
	m, err := NewMRZ("001195012345", Date{1995, 3, 8}, "F", Date{2035, 3, 8}, "Nguyễn Thị Thu Hà")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := m.Lines(); l != designMRZ {
		t.Fatalf("Lines() = %q, want %q", l, designMRZ)
	}
	if m.String() != strings.Join(designMRZ[:], "") || m.ID() != "001195012345" || m.DocumentNumber != "195012345" {
		t.Fatalf("String %q ID %q doc %q", m.String(), m.ID(), m.DocumentNumber)
	}
	// The built-in sample card of shared/cards/vicc_emrtd.py (vn_td1_mrz).
	m, err = NewMRZ("079090012345", Date{1990, 1, 15}, "M", Date{2030, 1, 15}, "Nguyễn Văn An")
	if err != nil {
		t.Fatal(err)
	}
	want := [3]string{"IDVNM0900123450079090012345<<0", "9001158M3001156VNM<<<<<<<<<<<4", "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"}
	if l, _ := m.Lines(); l != want {
		t.Fatalf("Lines() = %q, want %q", l, want)
	}
	for _, bad := range []struct {
		id, sex string
		dob     Date
	}{{"12345", "M", Date{1990, 1, 1}}, {"079090012345", "X", Date{1990, 1, 1}}, {"079090012345", "M", Date{}}} {
		if _, err := NewMRZ(bad.id, bad.dob, bad.sex, Date{2030, 1, 1}, "A B"); err == nil {
			t.Errorf("NewMRZ(%q, %v, %q) accepted", bad.id, bad.dob, bad.sex)
		}
	}
}

func TestMRZName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nguyễn Thị Thu Hà", "NGUYEN<<THI<THU<HA"},
		{"Đặng Văn Đức", "DANG<<VAN<DUC"},
		{"Trần  Thị   Lan ", "TRAN<<THI<LAN"},
		{"Nguye\u0302\u0303n Thi\u0323 Ha\u0300", "NGUYEN<<THI<HA"}, // decomposed input
		{"Tôn Nữ Thị Hoàng Yến Phương Nguyễn Ưng", "TON<<NU<THI<HOANG<YEN<PHUONG<N"},
		{"Ông", "ONG<<"},
		{"", ""},
	}
	for _, tc := range tests {
		got := MRZName(tc.in)
		if len(got) != 30 || strings.TrimRight(got, "<") != strings.TrimRight(tc.want, "<") {
			t.Errorf("MRZName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := RemoveDiacritics("Ỷ Lan Ưởng Đạt ắ"); got != "Y Lan Uong Dat a" {
		t.Errorf("RemoveDiacritics = %q", got)
	}
}
