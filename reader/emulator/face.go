package emulator

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"image"
	"image/color"
	"image/jpeg"
	"math"
)

// Size of the sample faces: a CCCD's DG2 holds a portrait of about this
// size, 15-20 KB as JPEG.
const (
	SampleFaceWidth  = 360
	SampleFaceHeight = 480
)

// SampleFace draws a synthetic portrait for made cards, of nobody: a head
// and shoulders on a pale background, with hair, skin and clothes chosen
// by seed, so that each sample card shows its own face and the same seed
// always the same one.
func SampleFace(seed string) image.Image {
	h := sha256.Sum256([]byte(seed))
	pick := func(i int, palette []color.RGBA) color.RGBA { return palette[int(h[i])%len(palette)] }
	skin := pick(0, []color.RGBA{{224, 184, 150, 255}, {205, 160, 120, 255}, {236, 200, 170, 255}, {190, 145, 110, 255}})
	hair := pick(1, []color.RGBA{{30, 24, 20, 255}, {55, 40, 30, 255}, {20, 20, 22, 255}, {90, 90, 95, 255}})
	shirt := pick(2, []color.RGBA{{245, 245, 245, 255}, {40, 60, 110, 255}, {120, 30, 40, 255}, {60, 90, 60, 255}})
	longHair := h[3]%2 == 0
	img := image.NewRGBA(image.Rect(0, 0, SampleFaceWidth, SampleFaceHeight))
	cx, cy := float64(SampleFaceWidth)/2, 200.0
	rng := uint32(h[4]) | uint32(h[5])<<8 | uint32(h[6])<<16 | 1
	for y := range SampleFaceHeight {
		for x := range SampleFaceWidth {
			fx, fy := float64(x), float64(y)
			// A pale blue background, lighter towards the top.
			c := color.RGBA{uint8(200 + 30*(1-fy/SampleFaceHeight)), uint8(215 + 25*(1-fy/SampleFaceHeight)), 235, 255}
			head := sq((fx-cx)/95) + sq((fy-cy)/125)
			hairTop := sq((fx-cx)/105) + sq((fy-cy+25)/130)
			neck := math.Abs(fx-cx) < 42 && fy > cy+90 && fy < cy+190
			shoulders := fy > 370 && sq((fx-cx)/(170+(fy-370)*0.6))+sq((fy-520)/150) < 1
			switch {
			case shoulders:
				c = shade(shirt, 1-0.15*math.Abs(fx-cx)/cx)
			case neck:
				c = shade(skin, 0.88)
			case head < 1:
				c = shade(skin, 1-0.18*head)
				c = features(c, fx-cx, fy-cy, hair)
				if hairTop < 1 && fy < cy-60+8*math.Cos((fx-cx)/18) {
					c = hair
				}
			case hairTop < 1 || (longHair && math.Abs(fx-cx) < 118 && fy > cy-20 && fy < cy+150 && math.Abs(fx-cx) > 80):
				c = hair
			}
			// Grain, as a camera leaves it: without it the JPEG would be
			// unrealistically small.
			rng ^= rng << 13
			rng ^= rng >> 17
			rng ^= rng << 5
			n := int(rng%9) - 4
			img.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + n), clamp(int(c.G) + n), clamp(int(c.B) + n), 255})
		}
	}
	return img
}

// features draws eyes, brows, nose and mouth at (dx, dy) from the head's
// centre.
func features(c color.RGBA, dx, dy float64, hair color.RGBA) color.RGBA {
	for _, side := range []float64{-1, 1} {
		ex := dx - side*35
		switch {
		case sq(ex/14)+sq((dy+10)/7) < 1:
			if sq(ex/6)+sq((dy+10)/6) < 1 {
				return color.RGBA{45, 35, 30, 255}
			}
			return color.RGBA{240, 240, 235, 255}
		case math.Abs(ex) < 18 && math.Abs(dy+28-ex*ex/120) < 3:
			return hair
		}
	}
	switch {
	case math.Abs(dx) < 3 && dy > -5 && dy < 35:
		return shade(c, 0.85)
	case sq(dx/30)+sq((dy-62)/6) < 1 && dy > 60:
		return color.RGBA{170, 90, 90, 255}
	}
	return c
}

func sq(v float64) float64 { return v * v }

func shade(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{clamp(int(float64(c.R) * f)), clamp(int(float64(c.G) * f)), clamp(int(float64(c.B) * f)), 255}
}

func clamp(v int) uint8 { return uint8(min(255, max(0, v))) }

// SampleFaceJPEG is SampleFace as a JPEG of the size a CCCD carries.
func SampleFaceJPEG(seed string) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, SampleFace(seed), &jpeg.Options{Quality: 75}); err != nil {
		panic("emulator: encoding a sample face: " + err.Error()) // writing to memory does not fail
	}
	return b.Bytes()
}

// sampleFaceJP2 is SampleFace("jpeg2000 sample") as a JP2 file of about
// 15 KB, made by libopenjp2's encoder (Debian's libopenjp2-tools):
//
//	XANODE_UPDATE_FACE=1 go test ./reader/emulator -run SampleFaceJP2
//
// which writes the PNG and runs opj_compress -r 35 on it.
//
//go:embed sampleface.jp2
var sampleFaceJP2 []byte

// SampleFaceJP2 is a synthetic portrait as JPEG 2000, for cards whose face
// a browser cannot show as it is.
func SampleFaceJP2() []byte { return bytes.Clone(sampleFaceJP2) }
