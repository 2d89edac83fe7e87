package faceimg

import (
	"encoding/binary"
	"fmt"

	"github.com/xanode/xanode/reader/vncard"
)

// Info is what an image's header says.
type Info struct {
	Format        string // vncard.FormatJPEG or vncard.FormatJPEG2000
	Width, Height int
	Components    int
	Precision     int // bits per sample, the largest of the components
	// Codestream is a JPEG 2000 image's codestream (the JP2 file's jp2c
	// box, or the whole of a bare codestream); nil for JPEG.
	Codestream []byte
	// JP2: the image is a JP2 file rather than a bare codestream.
	JP2 bool
}

// Inspect reads the header of a JPEG, a JP2 file or a JPEG 2000
// codestream (ISO/IEC 15444-1: the boxes of Annex I, the SIZ marker of
// A.5.1) and checks it against the limits, without decoding the image.
// Errors wrap ErrMalformed or ErrTooLarge.
func Inspect(b []byte) (Info, error) {
	switch vncard.ImageFormat(b) {
	case vncard.FormatJPEG:
		return inspectJPEG(b)
	case vncard.FormatJPEG2000:
		cs, jp2 := b, false
		if b[0] == 0 { // a JP2 file: the signature box comes first
			var err error
			if cs, err = codestream(b); err != nil {
				return Info{}, err
			}
			jp2 = true
		}
		info, err := inspectSIZ(cs)
		info.JP2 = jp2
		return info, err
	}
	return Info{}, fmt.Errorf("%w: neither JPEG nor JPEG 2000", ErrMalformed)
}

// maxBoxes bounds the walk over a JP2 file's top-level boxes.
const maxBoxes = 64

// codestream finds the contiguous codestream box (jp2c) among a JP2
// file's top-level boxes: a length (1: a 64-bit length follows; 0: to the
// end of the file), a type, the contents.
func codestream(b []byte) ([]byte, error) {
	for i := 0; i < maxBoxes && len(b) > 0; i++ {
		if len(b) < 8 {
			return nil, fmt.Errorf("%w: JP2 box header cut short", ErrMalformed)
		}
		size, kind, head := uint64(binary.BigEndian.Uint32(b)), string(b[4:8]), uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return nil, fmt.Errorf("%w: JP2 box %q: extended length cut short", ErrMalformed, kind)
			}
			size, head = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < head || size > uint64(len(b)) {
			return nil, fmt.Errorf("%w: JP2 box %q of %d bytes in %d", ErrMalformed, kind, size, len(b))
		}
		if kind == "jp2c" {
			return b[head:size], nil
		}
		b = b[size:]
	}
	return nil, fmt.Errorf("%w: JP2 file without a codestream box", ErrMalformed)
}

// inspectSIZ reads the image and tile size marker that follows the start
// of a codestream: FF4F, then FF51 with its length, capabilities, the
// reference grid's size and offset, the tiles' size and offset, the
// number of components and, for each, its precision and subsampling.
func inspectSIZ(cs []byte) (Info, error) {
	const fixed = 2 + 2 + 2 + 2 + 8*4 + 2 // SOC, SIZ, Lsiz, Rsiz, 8 sizes, Csiz
	if len(cs) < fixed || cs[0] != 0xFF || cs[1] != 0x4F || cs[2] != 0xFF || cs[3] != 0x51 {
		return Info{}, fmt.Errorf("%w: JPEG 2000 codestream does not start with SOC and SIZ", ErrMalformed)
	}
	u32 := func(i int) uint32 { return binary.BigEndian.Uint32(cs[8+4*i:]) }
	lsiz := int(binary.BigEndian.Uint16(cs[4:]))
	xsiz, ysiz, xo, yo, xt, yt, xto, yto := u32(0), u32(1), u32(2), u32(3), u32(4), u32(5), u32(6), u32(7)
	n := int(binary.BigEndian.Uint16(cs[fixed-2:]))
	if lsiz != 38+3*n || len(cs) < 4+lsiz {
		return Info{}, fmt.Errorf("%w: JPEG 2000 SIZ of %d bytes for %d components", ErrMalformed, lsiz, n)
	}
	if xo >= xsiz || yo >= ysiz || xt == 0 || yt == 0 || xto > xo || yto > yo || uint64(xto)+uint64(xt) <= uint64(xo) || uint64(yto)+uint64(yt) <= uint64(yo) {
		return Info{}, fmt.Errorf("%w: JPEG 2000 grid %dx%d at %d,%d with tiles %dx%d at %d,%d", ErrMalformed, xsiz, ysiz, xo, yo, xt, yt, xto, yto)
	}
	info := Info{Format: vncard.FormatJPEG2000, Components: n, Codestream: cs}
	if xsiz-xo > 1<<24 || ysiz-yo > 1<<24 {
		return info, fmt.Errorf("%w: JPEG 2000 image of %d x %d", ErrTooLarge, xsiz-xo, ysiz-yo)
	}
	info.Width, info.Height = int(xsiz-xo), int(ysiz-yo)
	if err := checkSize(info.Width, info.Height, n); err != nil {
		return info, err
	}
	for c := range n {
		ssiz, dx, dy := cs[fixed+3*c], cs[fixed+3*c+1], cs[fixed+3*c+2]
		prec := int(ssiz&0x7F) + 1
		if prec > maxPrecision {
			return info, fmt.Errorf("%w: JPEG 2000 component %d of %d bits, at most %d", ErrTooLarge, c, prec, maxPrecision)
		}
		if dx == 0 || dy == 0 {
			return info, fmt.Errorf("%w: JPEG 2000 component %d subsampled by %d x %d", ErrMalformed, c, dx, dy)
		}
		info.Precision = max(info.Precision, prec)
	}
	return info, nil
}
