//go:build !pcsc

package faceimg

import "image"

// decodeJPEG2000 is not built: libopenjp2 comes with -tags pcsc.
func decodeJPEG2000([]byte, Info) (image.Image, error) { return nil, ErrJPEG2000NotBuilt }

// JPEG2000 reports whether this binary decodes JPEG 2000 faces.
const JPEG2000 = false
