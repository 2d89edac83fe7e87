package vncard

import (
	"bytes"
	"os"
	"testing"
)

func TestDG2Face(t *testing.T) {
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 500)...)
	jp2 := append([]byte{0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A}, bytes.Repeat([]byte{9}, 15000)...)
	for _, tc := range []struct {
		image    []byte
		jpeg2000 bool
		format   string
	}{{jpeg, false, FormatJPEG}, {jp2, true, FormatJPEG2000}, {[]byte{0xFF, 0x4F, 0xFF, 0x51, 1, 2}, true, FormatJPEG2000}} {
		f, err := ParseDG2(EncodeDG2(tc.image, tc.jpeg2000, 240, 320))
		if err != nil {
			t.Fatal(err)
		}
		if f.Format != tc.format || !bytes.Equal(f.Image, tc.image) || (tc.format == FormatJPEG2000) != (f.Note != "") || f.Width != 240 || f.Height != 320 {
			t.Fatalf("face %s, %d bytes, note %q", f.Format, len(f.Image), f.Note)
		}
	}
	vicc, err := os.ReadFile("../testdata/vicc-sample/DG2")
	if err != nil {
		t.Fatal(err)
	}
	// Another implementation's DG2 (shared/cards' vicc sample card).
	if f, err := ParseDG2(vicc); err != nil || f.Format != FormatJPEG || len(f.Image) != 1964 {
		t.Fatalf("vicc's sample DG2: %+v %v", f, err)
	}
	// A record whose lengths are wrong: the image is found by its signature.
	wrong := EncodeDG2(jpeg, false, 240, 320)
	i := bytes.Index(wrong, []byte("FAC\x00"))
	wrong[i+14+3] += 9 // the facial record's length
	wrong[i+14+5] = 3  // three feature points that are not there
	if f, err := ParseDG2(wrong); err != nil || !bytes.Equal(f.Image, jpeg) || f.Width != 0 {
		t.Fatalf("DG2 with wrong lengths: %+v %v", f, err)
	}
	for _, bad := range [][]byte{nil, {0x75, 0x00}, append([]byte{0x75, 0x82, 0x0F, 0xA0}, make([]byte, 4000)...), EncodeDG2([]byte("GIF89a"), false, 1, 1)} {
		if _, err := ParseDG2(bad); err == nil {
			t.Errorf("ParseDG2(%X...) accepted", bad[:min(len(bad), 8)])
		}
	}
}

func FuzzParseDG2(f *testing.F) {
	f.Add(EncodeDG2([]byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}, false, 1, 1))
	f.Add(EncodeDG2([]byte{0xFF, 0x4F, 0xFF, 0x51}, true, 1, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		if face, err := ParseDG2(b); err == nil && len(face.Image) == 0 {
			t.Fatal("empty image accepted")
		}
	})
}
