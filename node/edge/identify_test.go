package edge

import (
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func TestMatch(t *testing.T) {
	rec := citizen("092090001234", "Nguyễn Văn An")
	rec.Values[registry.FieldBirthDate] = "1990-05-01"
	rec.Values[registry.FieldPermanentAddress] = "12 Đường Mậu Thân, Phường Xuân Khánh"
	chip := map[registry.Field]string{
		registry.FieldFullName:         "Nguye\u0302\u0303n Văn An", // decomposed: still the same name
		registry.FieldBirthDate:        "1990-05-01",
		registry.FieldPermanentAddress: "12 đường Mậu Thân,  phường Xuân Khánh",
		registry.FieldHometown:         "Cần Thơ",
		registry.FieldSex:              "",
	}
	ms := Match(chip, rec)
	if len(ms) != 4 {
		t.Fatalf("compared %d fields, want 4 (empty chip values are skipped): %+v", len(ms), ms)
	}
	want := map[registry.Field]bool{registry.FieldFullName: true, registry.FieldBirthDate: true,
		registry.FieldPermanentAddress: true, registry.FieldHometown: false}
	for _, m := range ms {
		if m.Agree != want[m.Field] {
			t.Errorf("%s: agree=%v, want %v", m.Field, m.Agree, want[m.Field])
		}
	}
	if d := Differences(ms); len(d) != 1 {
		t.Errorf("differences %v", d)
	}
	for _, m := range Match(chip, nil) {
		if m.Agree {
			t.Errorf("%s agrees with a missing record", m.Field)
		}
	}
}
