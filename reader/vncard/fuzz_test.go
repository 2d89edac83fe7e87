package vncard

import (
	"os"
	"testing"
)

func FuzzParseMRZ(f *testing.F) {
	for _, l := range [][3]string{designMRZ, {"I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<"}} {
		f.Add(l[0] + l[1] + l[2])
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMRZ(s)
		if err != nil {
			return
		}
		// What parses must encode back to an MRZ that parses the same way.
		l, err := m.Lines()
		if err != nil {
			t.Fatalf("parsed %q but cannot encode: %v", s, err)
		}
		again, err := ParseMRZ(l[0] + l[1] + l[2])
		if err != nil || *again != *m {
			t.Fatalf("%q -> %+v -> %q -> %+v (%v)", s, m, l, again, err)
		}
	})
}

func FuzzParseDG1(f *testing.F) {
	if b, err := os.ReadFile(viccSample + "DG1"); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x61, 0x03, 0x5F, 0x1F, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDG1(b)
		if err != nil {
			return
		}
		if _, err := EncodeDG1(m); err != nil {
			t.Fatalf("parsed but cannot encode: %v", err)
		}
	})
}

func FuzzParseDG13(f *testing.F) {
	if b, err := os.ReadFile(viccSample + "DG13"); err == nil {
		f.Add(b)
	}
	f.Add(dg13(field(16, []byte{0x04, 0x01, 0x00}), field(17, nil)))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDG13(b)
		if err != nil {
			return
		}
		enc, err := d.Marshal()
		if err != nil {
			t.Fatalf("parsed but cannot encode: %v", err)
		}
		again, err := ParseDG13(enc)
		if err != nil {
			t.Fatalf("re-encoded DG13 does not parse: %v", err)
		}
		if again.ID != d.ID || again.FullName != d.FullName || again.Father != d.Father || again.Spouse != d.Spouse {
			t.Fatalf("named fields changed: %+v vs %+v", again, d)
		}
	})
}

func FuzzParseQR(f *testing.F) {
	f.Add("001195012345|123456789|Nguyễn Thị Thu Hà|08031995|Nữ|12 Lê Lợi|15012021")
	f.Add("079090012345||Nguyễn Văn An|15011990|Nam|Cần Thơ|15012021|X")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQR(s)
		if err != nil {
			return
		}
		if !ValidID(q.ID) || q.DateOfBirth.IsZero() {
			t.Fatalf("accepted %q as %+v", s, q)
		}
	})
}
