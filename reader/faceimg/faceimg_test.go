package faceimg_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/faceimg"
	"github.com/xanode/xanode/reader/vncard"
)

// siz is a bare codestream start: SOC and a SIZ marker for a w x h image of
// n 8-bit components, optionally subsampled.
func siz(w, h uint32, n int, sub byte) []byte {
	b := []byte{0xFF, 0x4F, 0xFF, 0x51}
	b = binary.BigEndian.AppendUint16(b, uint16(38+3*n))
	b = binary.BigEndian.AppendUint16(b, 0)
	for _, v := range []uint32{w, h, 0, 0, w, h, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	for range n {
		b = append(b, 7, sub, sub)
	}
	return b
}

// jp2c cuts the codestream out of a JP2 file.
func jp2c(t testing.TB, b []byte) []byte {
	i := bytes.Index(b, []byte("jp2c"))
	if i < 4 {
		t.Fatal("no jp2c box")
	}
	return b[i+4:]
}

func TestInspect(t *testing.T) {
	jp2 := emulator.SampleFaceJP2()
	for _, tc := range []struct {
		name       string
		b          []byte
		format     string
		w, h, comp int
		isJP2      bool
	}{
		{"JPEG", emulator.SampleFaceJPEG("x"), vncard.FormatJPEG, 360, 480, 3, false},
		{"JP2", jp2, vncard.FormatJPEG2000, 360, 480, 3, true},
		{"codestream", jp2c(t, jp2), vncard.FormatJPEG2000, 360, 480, 3, false},
		{"grey codestream", siz(640, 480, 1, 1), vncard.FormatJPEG2000, 640, 480, 1, false},
	} {
		info, err := faceimg.Inspect(tc.b)
		if err != nil || info.Format != tc.format || info.Width != tc.w || info.Height != tc.h || info.Components != tc.comp || info.JP2 != tc.isJP2 {
			t.Errorf("%s: %+v %v", tc.name, info, err)
		}
	}
	big := siz(5000, 5000, 3, 1)
	extended := append([]byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 1, 'j', 'p', '2', 'c'}, binary.BigEndian.AppendUint64(nil, 1<<40)...)
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"nothing", nil, faceimg.ErrMalformed},
		{"GIF", []byte("GIF89a...."), faceimg.ErrMalformed},
		{"cut JPEG", emulator.SampleFaceJPEG("x")[:20], faceimg.ErrMalformed},
		{"too many pixels", big, faceimg.ErrTooLarge},
		{"too many components", siz(100, 100, 5, 1), faceimg.ErrTooLarge},
		{"no subsampling", siz(100, 100, 3, 0), faceimg.ErrMalformed},
		{"SIZ cut short", siz(100, 100, 3, 1)[:40], faceimg.ErrMalformed},
		{"JP2 without codestream", jp2[:40], faceimg.ErrMalformed},
		{"JP2 box longer than the file", extended, faceimg.ErrMalformed},
	} {
		if _, err := faceimg.Inspect(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDisplay(t *testing.T) {
	jpg := emulator.SampleFaceJPEG("001195012345")
	img, err := faceimg.Display(&vncard.Face{Format: vncard.FormatJPEG, Image: jpg})
	if err != nil || !bytes.Equal(img.JPEG, jpg) || img.Converted || img.Width != 360 {
		t.Fatalf("JPEG: %+v %v", img, err)
	}
	broken := bytes.Clone(jpg)
	broken = broken[:len(broken)/2]
	if _, err := faceimg.Display(&vncard.Face{Format: vncard.FormatJPEG, Image: broken}); !errors.Is(err, faceimg.ErrMalformed) {
		t.Fatalf("half a JPEG: %v", err)
	}
	for _, b := range [][]byte{emulator.SampleFaceJP2(), jp2c(t, emulator.SampleFaceJP2())} {
		img, err = faceimg.Display(&vncard.Face{Format: vncard.FormatJPEG2000, Image: b})
		if !faceimg.JPEG2000 {
			if !errors.Is(err, faceimg.ErrJPEG2000NotBuilt) {
				t.Fatalf("JPEG 2000 without libopenjp2: %v", err)
			}
			continue
		}
		if err != nil || !img.Converted || img.Width != 360 || img.Height != 480 {
			t.Fatalf("JPEG 2000: %+v %v", img, err)
		}
		got, err := jpeg.Decode(bytes.NewReader(img.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		// The converted face is the drawn one, give or take compression.
		if d := meanDifference(got, emulator.SampleFace("jpeg2000 sample")); d > 6 {
			t.Fatalf("converted face differs from the original by %.1f per sample", d)
		}
	}
	if _, err := faceimg.Display(nil); !errors.Is(err, faceimg.ErrMalformed) {
		t.Fatalf("no face: %v", err)
	}
}

// meanDifference is the mean absolute difference of two images' RGB
// samples, 0 to 255.
func meanDifference(a, b image.Image) float64 {
	var sum, n float64
	r := a.Bounds().Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				sum += float64(max(d, -d))
				n++
			}
		}
	}
	return sum / n
}

func FuzzInspect(f *testing.F) {
	f.Add(emulator.SampleFaceJP2()[:200])
	f.Add(siz(640, 480, 3, 1))
	f.Add(emulator.SampleFaceJPEG("x")[:600])
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := faceimg.Inspect(b)
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 || info.Width*info.Height > faceimg.MaxPixels || info.Components > faceimg.MaxComponents {
			t.Fatalf("accepted %+v", info)
		}
	})
}

// FuzzDisplay decodes what passes Inspect: with -tags pcsc through
// libopenjp2 too, which must neither crash nor hand back a bad image.
func FuzzDisplay(f *testing.F) {
	f.Add(emulator.SampleFaceJP2())
	f.Add(emulator.SampleFaceJPEG("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := faceimg.Display(&vncard.Face{Image: b})
		if err != nil {
			return
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(img.JPEG)); err != nil {
			t.Fatalf("Display gave a JPEG that does not decode: %v", err)
		}
	})
}

func BenchmarkDisplay(b *testing.B) {
	for _, tc := range []struct {
		name string
		face []byte
	}{{"JPEG 360x480", emulator.SampleFaceJPEG("x")}, {"JPEG 2000 360x480", emulator.SampleFaceJP2()}} {
		b.Run(tc.name, func(b *testing.B) {
			if vncard.ImageFormat(tc.face) == vncard.FormatJPEG2000 && !faceimg.JPEG2000 {
				b.Skip("JPEG 2000 needs -tags pcsc")
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := faceimg.Display(&vncard.Face{Image: tc.face}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
