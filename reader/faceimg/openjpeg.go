//go:build pcsc

package faceimg

/*
#cgo pkg-config: libopenjp2
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

// A codestream in memory, read by libopenjp2 through these callbacks
// within one call of xn_decode.
typedef struct { const unsigned char *data; OPJ_SIZE_T size, pos; } xn_src;

static OPJ_SIZE_T xn_read(void *buf, OPJ_SIZE_T n, void *user) {
	xn_src *m = user;
	if (m->pos >= m->size) return (OPJ_SIZE_T)-1;
	if (n > m->size - m->pos) n = m->size - m->pos;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return n;
}

static OPJ_OFF_T xn_skip(OPJ_OFF_T n, void *user) {
	xn_src *m = user;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > m->pos) n = -(OPJ_OFF_T)m->pos;
	} else if ((OPJ_SIZE_T)n > m->size - m->pos) {
		n = (OPJ_OFF_T)(m->size - m->pos);
	}
	m->pos += n;
	return n;
}

static OPJ_BOOL xn_seek(OPJ_OFF_T n, void *user) {
	xn_src *m = user;
	if (n < 0 || (OPJ_SIZE_T)n > m->size) return OPJ_FALSE;
	m->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

static void xn_quiet(const char *msg, void *data) { (void)msg; (void)data; }

// xn_decode decodes a JP2 file (jp2 != 0) or a bare codestream; NULL on
// failure. The caller frees the image with opj_image_destroy.
static opj_image_t *xn_decode(const unsigned char *data, size_t size, int jp2) {
	xn_src src = { data, size, 0 };
	opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	if (!codec) return NULL;
	opj_set_info_handler(codec, xn_quiet, NULL);
	opj_set_warning_handler(codec, xn_quiet, NULL);
	opj_set_error_handler(codec, xn_quiet, NULL);
	opj_dparameters_t params;
	opj_set_default_decoder_parameters(&params);
	opj_image_t *img = NULL;
	opj_stream_t *s = opj_stream_default_create(OPJ_TRUE);
	if (!s) { opj_destroy_codec(codec); return NULL; }
	opj_stream_set_user_data(s, &src, NULL);
	opj_stream_set_user_data_length(s, size);
	opj_stream_set_read_function(s, xn_read);
	opj_stream_set_skip_function(s, xn_skip);
	opj_stream_set_seek_function(s, xn_seek);
	if (!opj_setup_decoder(codec, &params) || !opj_read_header(s, codec, &img) ||
	    !opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) {
		if (img) opj_image_destroy(img);
		img = NULL;
	}
	opj_stream_destroy(s);
	opj_destroy_codec(codec);
	return img;
}

static opj_image_comp_t *xn_comp(opj_image_t *img, int i) { return &img->comps[i]; }
*/
import "C"

import (
	"fmt"
	"image"
	"image/color"
	"unsafe"
)

// JPEG2000 reports whether this binary decodes JPEG 2000 faces.
const JPEG2000 = true

// decodeJPEG2000 decodes the image through libopenjp2, after Inspect
// checked its header, and turns its components into an image: one
// (grey), or three (RGB, or sYCC converted), each scaled to 8 bits and
// upsampled when subsampled.
func decodeJPEG2000(b []byte, info Info) (image.Image, error) {
	jp2 := C.int(0)
	if info.JP2 {
		jp2 = 1
	}
	img := C.xn_decode((*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b)), jp2)
	if img == nil {
		return nil, fmt.Errorf("%w: libopenjp2 refused the JPEG 2000 image", ErrMalformed)
	}
	defer C.opj_image_destroy(img)
	n := int(img.numcomps)
	if n != 1 && n != 3 && n != 4 {
		return nil, fmt.Errorf("%w: JPEG 2000 image of %d components", ErrMalformed, n)
	}
	w, h := int(img.x1-img.x0), int(img.y1-img.y0)
	if err := checkSize(w, h, n); err != nil {
		return nil, err
	}
	type plane struct {
		data        []int32
		w, h        int
		dx, dy      int
		shift, bias int
	}
	planes := make([]plane, min(n, 3))
	for i := range planes {
		c := C.xn_comp(img, C.int(i))
		p := plane{w: int(c.w), h: int(c.h), dx: int(c.dx), dy: int(c.dy)}
		if c.data == nil || p.w <= 0 || p.h <= 0 || p.dx <= 0 || p.dy <= 0 || p.w*p.dx < w || p.h*p.dy < h || c.prec == 0 || c.prec > maxPrecision {
			return nil, fmt.Errorf("%w: JPEG 2000 component %d of %d x %d, subsampled %d x %d", ErrMalformed, i, p.w, p.h, p.dx, p.dy)
		}
		p.data = unsafe.Slice((*int32)(unsafe.Pointer(c.data)), p.w*p.h)
		p.shift = int(c.prec) - 8
		if c.sgnd != 0 {
			p.bias = 1 << (c.prec - 1)
		}
		planes[i] = p
	}
	at := func(p *plane, x, y int) uint8 {
		v := int(p.data[(y/p.dy)*p.w+x/p.dx]) + p.bias
		if p.shift > 0 {
			v >>= p.shift
		} else {
			v <<= -p.shift
		}
		return uint8(min(255, max(0, v)))
	}
	if len(planes) == 1 {
		out := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				out.Pix[y*out.Stride+x] = at(&planes[0], x, y)
			}
		}
		return out, nil
	}
	ycc := img.color_space == C.OPJ_CLRSPC_SYCC
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r, g, bl := at(&planes[0], x, y), at(&planes[1], x, y), at(&planes[2], x, y)
			if ycc {
				r, g, bl = color.YCbCrToRGB(r, g, bl)
			}
			i := y*out.Stride + 4*x
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = r, g, bl, 255
		}
	}
	return out, nil
}
