package cardtool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		name              string
		id, doc, dob, exp string
		can               string
		want              reader.Key
		wantErr           bool
	}{
		{name: "CAN", can: "123456", want: reader.CAN("123456")},
		{name: "CAN and MRZ", can: "123456", id: "079190004321", wantErr: true},
		{name: "ID and document", id: "079190004321", doc: "190004321", wantErr: true},
		{name: "nothing", wantErr: true},
		{name: "document", doc: "190004321", dob: "901201", exp: "301201",
			want: reader.MRZKey{DocumentNumber: "190004321", DateOfBirth: "901201", DateOfExpiry: "301201"}},
		{name: "ID alone: its CAN", id: "079190004321", want: reader.CAN("004321")},
		{name: "ID with dates", id: "079190004321", dob: "901201", exp: "301201",
			want: reader.MRZKey{DocumentNumber: "190004321", DateOfBirth: "901201", DateOfExpiry: "301201"}},
		{name: "short ID", id: "07919", dob: "901201", exp: "301201", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Key(tc.id, tc.doc, tc.dob, tc.exp, tc.can)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %#v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestChipKeys(t *testing.T) {
	for _, tc := range []struct {
		which      string
		ca, aa, ok bool
	}{
		{"ca,aa", true, true, true}, {"ca", true, false, true}, {"aa", false, true, true},
		{"none", false, false, true}, {"ca,xx", false, false, false},
	} {
		k, err := ChipKeys(tc.which, emulator.DefaultAAKey)
		if (err == nil) != tc.ok {
			t.Fatalf("%q: error %v", tc.which, err)
		}
		if tc.ok && ((k.CA != nil) != tc.ca || (k.AA != nil) != tc.aa) {
			t.Errorf("%q: CA %v AA %v", tc.which, k.CA != nil, k.AA != nil)
		}
	}
}

func TestFace(t *testing.T) {
	if b, err := Face("none", "079190004321"); err != nil || b != nil {
		t.Fatalf("none: %d bytes, %v", len(b), err)
	}
	if b, err := Face("sample", "079190004321"); err != nil || len(b) == 0 {
		t.Fatalf("sample: %d bytes, %v", len(b), err)
	}
	notImage := filepath.Join(t.TempDir(), "face.txt")
	if err := os.WriteFile(notImage, []byte("not a portrait"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Face(notImage, "079190004321"); err == nil {
		t.Fatal("a text file was taken for a portrait")
	}
	if _, err := Face(filepath.Join(t.TempDir(), "missing.jpg"), "079190004321"); err == nil {
		t.Fatal("a missing file was taken for a portrait")
	}
}
