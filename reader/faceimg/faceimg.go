// Package faceimg makes the face image of a chip's DG2 fit for a web
// browser: a JPEG is checked by decoding it and passed on as it is; a JPEG
// 2000 image, which browsers cannot show, is decoded through Debian's
// libopenjp2 (cgo, in a binary built with -tags pcsc, like the PC/SC code)
// and re-encoded as JPEG. Every image's header is checked first (Inspect),
// so that a hostile chip cannot make the edge decode a huge picture.
//
// Nothing here stores the image: the caller holds it in memory for the
// officer who read the card (DESIGN.md, "Chip cards").
package faceimg

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/jpeg"

	"github.com/xanode/xanode/reader/vncard"
)

// Errors of Display and Inspect.
var (
	// ErrJPEG2000NotBuilt: the image is JPEG 2000 and this binary was built
	// without libopenjp2 (it needs -tags pcsc and cgo).
	ErrJPEG2000NotBuilt = errors.New("faceimg: cannot show the face: JPEG 2000 needs a build with -tags pcsc")
	// ErrTooLarge: the header announces more pixels, components or bits
	// than a face photo has (MaxPixels, MaxComponents, 16 bits).
	ErrTooLarge = errors.New("faceimg: the face image is larger than a face photo")
	// ErrMalformed: the bytes are not an image of the format they claim.
	ErrMalformed = errors.New("faceimg: the face image cannot be decoded")
)

// Limits on what Display decodes. ICAO 9303 face images are about 480 x
// 640; a few megapixels leave room for any real card and bound the memory
// a decode takes (libopenjp2 holds 4 bytes per sample).
const (
	MaxPixels     = 4 << 20 // width × height
	MaxComponents = 4
	maxPrecision  = 16 // bits per sample
)

// JPEGQuality is the quality of a JPEG 2000 face re-encoded as JPEG.
const JPEGQuality = 90

// Image is a face a browser can show.
type Image struct {
	JPEG          []byte
	Width, Height int
	// Converted: the chip's image was JPEG 2000, decoded and re-encoded.
	Converted bool
}

// Display returns the face as a JPEG a browser shows. A JPEG is decoded
// completely (a browser would otherwise be handed bytes nobody checked)
// and returned as the chip gave it; a JPEG 2000 image is decoded and
// re-encoded. Errors wrap ErrTooLarge, ErrMalformed or ErrJPEG2000NotBuilt.
func Display(f *vncard.Face) (*Image, error) {
	if f == nil || len(f.Image) == 0 {
		return nil, fmt.Errorf("%w: no image", ErrMalformed)
	}
	info, err := Inspect(f.Image)
	if err != nil {
		return nil, err
	}
	if info.Format == vncard.FormatJPEG {
		if _, err := jpeg.Decode(bytes.NewReader(f.Image)); err != nil {
			return nil, fmt.Errorf("%w: JPEG: %v", ErrMalformed, err)
		}
		return &Image{JPEG: f.Image, Width: info.Width, Height: info.Height}, nil
	}
	img, err := decodeJPEG2000(f.Image, info)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, fmt.Errorf("faceimg: re-encoding the face as JPEG: %w", err)
	}
	b := img.Bounds()
	return &Image{JPEG: out.Bytes(), Width: b.Dx(), Height: b.Dy(), Converted: true}, nil
}

// checkSize applies the limits to a header's figures.
func checkSize(w, h, components int) error {
	switch {
	case w <= 0 || h <= 0 || components <= 0:
		return fmt.Errorf("%w: %d x %d pixels, %d components", ErrMalformed, w, h, components)
	case w > MaxPixels/h:
		return fmt.Errorf("%w: %d x %d pixels, at most %d", ErrTooLarge, w, h, MaxPixels)
	case components > MaxComponents:
		return fmt.Errorf("%w: %d components, at most %d", ErrTooLarge, components, MaxComponents)
	}
	return nil
}

// inspectJPEG reads a JPEG's frame header through image/jpeg.
func inspectJPEG(b []byte) (Info, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return Info{}, fmt.Errorf("%w: JPEG header: %v", ErrMalformed, err)
	}
	components := 3
	switch cfg.ColorModel {
	case color.GrayModel:
		components = 1
	case color.CMYKModel:
		components = 4
	}
	info := Info{Format: vncard.FormatJPEG, Width: cfg.Width, Height: cfg.Height, Components: components, Precision: 8}
	return info, checkSize(info.Width, info.Height, components)
}
