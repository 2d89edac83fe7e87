package quality

import (
	"maps"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func TestParseIdentification(t *testing.T) {
	for _, tc := range []struct {
		name, note string
		assurance  string
		fields     map[registry.Field]string
	}{
		{"no difference", "chip-verified", "chip-verified", nil},
		{"frozen", "chip-read; subset frozen: not compared", "chip-read", nil},
		{"visitor", "chip-cloning-checked; visitor, proof of presence sent (online)", "chip-cloning-checked", nil},
		{"one", "chip-verified; full_name: card «Nguyễn Thị Thu Hà», record «Nguyễn Thị Thu Hả»", "chip-verified",
			map[registry.Field]string{registry.FieldFullName: "Nguyễn Thị Thu Hà"}},
		{"two, separators inside values", "qr; permanent_address: card «Số 4; Tổ 1, Xã Nhơn Ái», record «»; birth_date: card «1985-03-08», record «1985»", "qr",
			map[registry.Field]string{registry.FieldPermanentAddress: "Số 4; Tổ 1, Xã Nhơn Ái", registry.FieldBirthDate: "1985-03-08"}},
		{"unknown field skipped", "chip-read; shoe_size: card «42», record «41»; sex: card «F», record «M»", "chip-read",
			map[registry.Field]string{registry.FieldSex: "F"}},
		{"malformed part skipped", "chip-read; sex: card «F»", "chip-read", nil},
		{"empty card value skipped", "chip-read; sex: card «», record «M»", "chip-read", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ParseIdentification(tc.note)
			if r.Assurance != tc.assurance || ok != (tc.fields != nil) || !maps.Equal(r.Fields, tc.fields) {
				t.Fatalf("got %+v %v, want %s %v", r, ok, tc.assurance, tc.fields)
			}
		})
	}
}

// FuzzParseIdentification: an edge's note never panics the parser, and a
// note written as the edge writes it, from values without the closing
// quote, reads back as written.
func FuzzParseIdentification(f *testing.F) {
	f.Add("chip-verified; full_name: card «A», record «B»", "Nguyễn; Văn", "x")
	f.Add("qr; sex: card «F", "», record «", "; sex: card «")
	f.Fuzz(func(t *testing.T, note, a, b string) {
		ParseIdentification(note)
		if strings.Contains(a, "»") || strings.Contains(b, "»") || a == "" {
			return
		}
		note = "chip-read; full_name: card «" + a + "», record «" + b + "»; sex: card «M», record «F»"
		r, ok := ParseIdentification(note)
		if !ok || r.Fields[registry.FieldFullName] != a || r.Fields[registry.FieldSex] != "M" {
			t.Fatalf("%q read as %+v", note, r)
		}
	})
}

func TestCheckRead(t *testing.T) {
	rec := person(ha)
	r := Read{Citizen: ha, Assurance: "chip-verified", Fields: map[registry.Field]string{
		registry.FieldFullName:  "NGUYỄN  THỊ THU HÀ", // case and spacing are no difference
		registry.FieldBirthDate: "1985-03-09",
		registry.FieldSex:       "F",
	}}
	fs := checkRead(rec, r)
	if len(fs) != 1 || fs[0].Rule != RuleChipMismatch || fs[0].Fields[0] != registry.FieldBirthDate ||
		fs[0].Assurance != "chip-verified" || fs[0].Key() != "chip_mismatch|"+ha+"|birth_date" {
		t.Fatalf("findings %+v", fs)
	}
	checkEvidence(t, &fs[0])
	if got, want := fs[0].Evidence.English(), "birth_date: card «1985-03-09», record «1985-03-08» (chip-verified)"; got != want {
		t.Errorf("evidence %q, want %q", got, want)
	}
}
