package emrtd

import (
	"errors"
	"reflect"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

func TestParseCOM(t *testing.T) {
	var v smVector
	loadVector(t, "sm_3des_appendix_d4", &v)
	tests := []struct {
		name    string
		in      hexs
		want    *COM
		wantErr bool
	}{
		{name: "ICAO D.4", in: v.EFCOM, want: &COM{LDSVersion: "0106", UnicodeVersion: "040000", DataGroups: []int{1, 2}}},
		{name: "CCCD", in: "60165F0104303130375F36063034303030305C0461756D6E",
			want: &COM{LDSVersion: "0107", UnicodeVersion: "040000", DataGroups: []int{1, 2, 13, 14}}},
		{name: "no tag list", in: "60065F010430313037", wantErr: true},
		{name: "unknown tag in list", in: "60035C0199", wantErr: true},
		{name: "wrong outer tag", in: "61035C0161", wantErr: true},
		{name: "truncated", in: "60145F01", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCOM(tc.in.b(t))
			if tc.wantErr {
				if !errors.Is(err, iso7816.ErrMalformed) && !errors.Is(err, iso7816.ErrTruncated) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseCOM = %+v, %v; want %+v", got, err, tc.want)
			}
			enc, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "Marshal", enc, tc.in)
			if !got.Has(1) || got.Has(3) {
				t.Error("Has() wrong")
			}
		})
	}
	if _, err := (&COM{DataGroups: []int{17}}).Marshal(); err == nil {
		t.Error("DG17 encoded")
	}
}

func TestFiles(t *testing.T) {
	tests := []struct {
		name string
		fid  uint16
		tag  iso7816.Tag
		dg   int
		mf   bool
	}{
		{"COM", 0x011E, 0x60, 0, false},
		{"DG1", 0x0101, 0x61, 1, false},
		{"DG2", 0x0102, 0x75, 2, false},
		{"DG13", 0x010D, 0x6D, 13, false},
		{"DG16", 0x0110, 0x70, 16, false},
		{"SOD", 0x011D, 0x77, 0, false},
		{"cardaccess", 0x011C, 0x31, 0, true},
	}
	for _, tc := range tests {
		f, ok := FileByName(tc.name)
		if !ok || f.FID != tc.fid || f.Tag != tc.tag || f.DataGroup() != tc.dg || f.InMaster != tc.mf {
			t.Errorf("FileByName(%s) = %+v, %v", tc.name, f, ok)
		}
		if tc.dg > 0 && DataGroupFile(tc.dg) != f {
			t.Errorf("DataGroupFile(%d) = %+v", tc.dg, DataGroupFile(tc.dg))
		}
	}
	if _, ok := FileByName("DG17"); ok {
		t.Error("DG17 found")
	}
	if DataGroupFile(0) != (File{}) {
		t.Error("DataGroupFile(0) not empty")
	}
}
