package vncard

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

// The sample card written by the independent emulator in shared/cards.
const viccSample = "../testdata/vicc-sample/"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(viccSample + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDG1(t *testing.T) {
	m, err := ParseDG1(readFixture(t, "DG1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != "079090012345" || m.DocumentNumber != "090012345" || m.Surname != "NGUYEN" || m.GivenNames != "VAN AN" {
		t.Fatalf("ParseDG1 = %+v", m)
	}
	enc, err := EncodeDG1(m)
	if err != nil || !bytes.Equal(enc, readFixture(t, "DG1")) {
		t.Fatalf("EncodeDG1 = %X, %v", enc, err)
	}
	for _, bad := range []string{
		"", "61", "6103 5F1F00", // empty MRZ
		"6103 5F0100",                            // no 5F1F
		"6203 5F1F00",                            // wrong tag
		"615D 5F1F5A" + strings.Repeat("3C", 90), // only fillers
		"6158 5F1F56" + strings.Repeat("41", 86), // TD3-sized
	} {
		b, _ := hex.DecodeString(strings.ReplaceAll(bad, " ", ""))
		if _, err := ParseDG1(b); err == nil {
			t.Errorf("ParseDG1(%s) accepted", bad)
		}
	}
}

func TestParseDG13Sample(t *testing.T) {
	d, err := ParseDG13(readFixture(t, "DG13"))
	if err != nil {
		t.Fatal(err)
	}
	want := DG13{
		Version: 1, ID: "079090012345", FullName: "Nguyễn Văn An", DateOfBirth: Date{1990, 1, 15},
		Sex: "Nam", Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Không",
		Hometown:        "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
		Residence:       "12 Đường Lê Lợi, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
		Characteristics: "Nốt ruồi C:2cm dưới sau đuôi mắt trái",
		IssueDate:       Date{2021, 1, 15}, ExpiryDate: Date{2030, 1, 15},
		Father: "Nguyễn Văn Bình", Mother: "Trần Thị Cúc", Spouse: "",
	}
	got := *d
	got.Raw = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDG13 =\n%+v\nwant\n%+v", got, want)
	}
	if len(d.Raw) != 14 || d.Raw[3].Values[0] != "15/01/1990" || !d.Raw[13].Seq || len(d.Raw[14].Values) != 1 {
		t.Fatalf("Raw = %+v", d.Raw)
	}
	// Our encoder writes the same bytes as the independent one.
	enc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, readFixture(t, "DG13")) {
		t.Fatalf("Marshal differs from the sample:\n%X\n%X", enc, readFixture(t, "DG13"))
	}
}

// dg13 builds a DG13 around raw field elements, for odd cards.
func dg13(fields ...[]byte) []byte {
	set := iso7816.EncodeTLV(tagSet, fields...)
	return iso7816.EncodeTLV(tagDG13, iso7816.EncodeTLV(tagSequence, encodeInt(1), iso7816.EncodeTLV(tagOID, oidUTF8), set))
}

func field(n int, value []byte) []byte { return iso7816.EncodeTLV(tagSequence, encodeInt(n), value) }

func TestParseDG13Lenient(t *testing.T) {
	b := dg13(
		field(1, iso7816.EncodeTLV(tagPrintableString, []byte("001195012345"))),
		field(2, iso7816.EncodeTLV(tagUTF8String, []byte("Nguyễn Thị Thu Hà"))),
		field(3, iso7816.EncodeTLV(tagUTF8String, []byte("08031995"))),
		field(12, iso7816.EncodeTLV(tagUTF8String, []byte("Không thời hạn"))),
		field(13, iso7816.EncodeTLV(tagUTF8String, []byte("Nguyễn Văn Hùng"))), // a plain string, not a SEQUENCE
		field(15, iso7816.EncodeTLV(tagUTF8String, []byte("123456789"))),
		field(16, iso7816.EncodeTLV(0x04, []byte{1, 2, 3})), // unknown type: kept as DER
		field(200, iso7816.EncodeTLV(tagSequence, encodeInt(5))),
		field(17, nil),
	)
	d, err := ParseDG13(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "001195012345" || d.DateOfBirth != (Date{1995, 3, 8}) || !d.ExpiryDate.IsZero() ||
		d.Text(FieldExpiryDate) != "Không thời hạn" || d.Father != "Nguyễn Văn Hùng" || d.Mother != "" || d.OldID != "123456789" {
		t.Fatalf("ParseDG13 = %+v", d)
	}
	if f := d.Raw[16]; f.Values != nil || !bytes.Equal(f.DER, []byte{4, 3, 1, 2, 3}) {
		t.Fatalf("unknown field 16 = %+v", f)
	}
	if f := d.Raw[200]; !f.Seq || f.Values != nil {
		t.Fatalf("field 200 = %+v", f)
	}
	if f := d.Raw[17]; len(f.Values) != 1 || f.Values[0] != "" {
		t.Fatalf("empty field 17 = %+v", f)
	}
	// Re-encoding keeps unknown fields and the undated expiry text.
	enc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDG13(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Raw[16].DER, d.Raw[16].DER) || back.Text(FieldExpiryDate) != "Không thời hạn" || back.Father != d.Father || back.OldID != d.OldID {
		t.Fatalf("round trip lost data: %+v", back)
	}
}

func TestParseDG13Rejects(t *testing.T) {
	ok := field(1, iso7816.EncodeTLV(tagUTF8String, []byte("1")))
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"wrong tag", iso7816.EncodeTLV(0x6C, iso7816.EncodeTLV(tagSequence))},
		{"no version", iso7816.EncodeTLV(tagDG13, iso7816.EncodeTLV(tagSequence, iso7816.EncodeTLV(tagOID, oidUTF8)))},
		{"no set", iso7816.EncodeTLV(tagDG13, iso7816.EncodeTLV(tagSequence, encodeInt(1), iso7816.EncodeTLV(tagOID, oidUTF8)))},
		{"field not a sequence", dg13(iso7816.EncodeTLV(tagUTF8String, []byte("x")))},
		{"field without number", dg13(iso7816.EncodeTLV(tagSequence, iso7816.EncodeTLV(tagUTF8String, []byte("x"))))},
		{"negative number", dg13(iso7816.EncodeTLV(tagSequence, iso7816.EncodeTLV(tagInteger, []byte{0xFF})))},
		{"duplicate field", dg13(ok, ok)},
		{"two values", dg13(iso7816.EncodeTLV(tagSequence, encodeInt(2), iso7816.EncodeTLV(tagUTF8String, nil), iso7816.EncodeTLV(tagUTF8String, nil)))},
		{"truncated", readFixture(t, "DG13")[:100]},
		{"trailing byte", append(readFixture(t, "DG13"), 0)},
	}
	for _, tc := range tests {
		if _, err := ParseDG13(tc.b); !errors.Is(err, iso7816.ErrMalformed) && !errors.Is(err, iso7816.ErrTruncated) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	// Invalid UTF-8 is not a string: the field keeps its DER only.
	d, err := ParseDG13(dg13(field(2, iso7816.EncodeTLV(tagUTF8String, []byte{0xC3, 0x28}))))
	if err != nil || d.FullName != "" || d.Raw[2].DER == nil {
		t.Fatalf("invalid UTF-8: %+v, %v", d, err)
	}
}

func TestParseQR(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *QR
		wantErr string
	}{
		{name: "2021 card", in: "001195012345|123456789|Nguyễn Thị Thu Hà|08031995|Nữ|12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15012021",
			want: &QR{ID: "001195012345", OldID: "123456789", FullName: "Nguyễn Thị Thu Hà", DateOfBirth: Date{1995, 3, 8}, Sex: "Nữ",
				Address: "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", IssueDate: Date{2021, 1, 15}}},
		{name: "no old ID, six fields", in: "079090012345||Nguyễn Văn An|15011990|Nam|Cần Thơ\n",
			want: &QR{ID: "079090012345", FullName: "Nguyễn Văn An", DateOfBirth: Date{1990, 1, 15}, Sex: "Nam", Address: "Cần Thơ"}},
		{name: "extra fields", in: "\uFEFF079090012345||Nguyễn Văn An|15011990|Nam|Cần Thơ|15012021|X|Y",
			want: &QR{ID: "079090012345", FullName: "Nguyễn Văn An", DateOfBirth: Date{1990, 1, 15}, Sex: "Nam", Address: "Cần Thơ",
				IssueDate: Date{2021, 1, 15}, Extra: []string{"X", "Y"}}},
		{name: "five fields", in: "079090012345||An|15011990|Nam", wantErr: "fields"},
		{name: "short ID", in: "79090012345||An|15011990|Nam|Cần Thơ", wantErr: "12 digits"},
		{name: "bad old ID", in: "079090012345|12a|An|15011990|Nam|Cần Thơ", wantErr: "old ID"},
		{name: "no name", in: "079090012345|||15011990|Nam|Cần Thơ", wantErr: "no name"},
		{name: "bad date", in: "079090012345||An|32011990|Nam|Cần Thơ", wantErr: "date of birth"},
		{name: "bad issue date", in: "079090012345||An|15011990|Nam|Cần Thơ|99999999", wantErr: "issue date"},
		{name: "not UTF-8", in: "079090012345||\xff|15011990|Nam|Cần Thơ", wantErr: "UTF-8"},
		{name: "huge", in: strings.Repeat("|", 5000), wantErr: "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQR(tc.in)
			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseQR = %+v, %v; want %+v", got, err, tc.want)
			}
			back, err := ParseQR(got.String())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("String() round trip: %q -> %+v, %v", got.String(), back, err)
			}
		})
	}
}
