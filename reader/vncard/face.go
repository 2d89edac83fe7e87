package vncard

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/xanode/xanode/reader/iso7816"
)

// Face is the facial image of DG2 (ICAO 9303-10 4.7.2, ISO/IEC 19794-5).
type Face struct {
	// Format is FormatJPEG or FormatJPEG2000, from the image's own
	// signature rather than the header's claim.
	Format string
	Image  []byte
	// Width and Height are what the facial record's image information
	// says (0: not said); the image's own header is what counts.
	Width, Height int
	// Note tells the officer's screen what it can do with the image: web
	// browsers do not show JPEG 2000, which many CCCDs use.
	Note string
}

// Face image formats.
const (
	FormatJPEG     = "jpeg"
	FormatJPEG2000 = "jpeg2000"
)

// NoteJPEG2000 is Face.Note for JPEG 2000 images.
const NoteJPEG2000 = "the face image is JPEG 2000, which web browsers cannot show; convert it (e.g. to PNG) to display it"

// DG2 tags: the biometric information group template and its data.
const (
	tagDG2           iso7816.Tag = 0x75
	tagBITGroup      iso7816.Tag = 0x7F61
	tagBIT           iso7816.Tag = 0x7F60
	tagBDB           iso7816.Tag = 0x5F2E
	tagBDBConstructd iso7816.Tag = 0x7F2E
	tagBHT           iso7816.Tag = 0xA1
	tagCount         iso7816.Tag = 0x02
)

var (
	jpegMagic      = []byte{0xFF, 0xD8, 0xFF}
	jp2Magic       = []byte{0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A}
	j2kMagic       = []byte{0xFF, 0x4F, 0xFF, 0x51}
	facialRecord   = []byte("FAC\x00")
	facialHeadSize = 14 + 20 + 12 // general header, facial information, image information
)

// ParseDG2 finds the first facial image in DG2: the biometric data block
// of the first biometric information template, an ISO 19794-5 record whose
// image is JPEG or JPEG 2000.
func ParseDG2(b []byte) (*Face, error) {
	v, err := iso7816.Unwrap(b, tagDG2)
	if err != nil {
		return nil, fmt.Errorf("DG2: %w", err)
	}
	group, found, err := iso7816.Find(v, tagBITGroup)
	if err != nil || !found {
		return nil, fmt.Errorf("DG2: %w: no biometric information group (7F61)", iso7816.ErrMalformed)
	}
	bit, found, err := iso7816.Find(group, tagBIT)
	if err != nil || !found {
		return nil, fmt.Errorf("DG2: %w: no biometric information template (7F60)", iso7816.ErrMalformed)
	}
	bdb, found, err := iso7816.Find(bit, tagBDB)
	if err == nil && !found {
		bdb, found, err = iso7816.Find(bit, tagBDBConstructd)
	}
	if err != nil || !found {
		return nil, fmt.Errorf("DG2: %w: no biometric data block (5F2E)", iso7816.ErrMalformed)
	}
	if !bytes.HasPrefix(bdb, facialRecord) || len(bdb) < facialHeadSize {
		return nil, fmt.Errorf("DG2: %w: the biometric data block is not an ISO 19794-5 facial record", iso7816.ErrMalformed)
	}
	face := &Face{}
	// The first facial record: its information block (20 bytes, the
	// count of feature points at 4), the feature points (8 bytes each),
	// then the image information (12 bytes: width at 2, height at 4) and
	// the image, of the record's length less those blocks.
	rec := bdb[14:]
	recLen := int(binary.BigEndian.Uint32(rec))
	start := 20 + 8*int(binary.BigEndian.Uint16(rec[4:]))
	if start+12 <= len(rec) {
		info := rec[start:]
		face.Width, face.Height = int(binary.BigEndian.Uint16(info[2:])), int(binary.BigEndian.Uint16(info[4:]))
		end := min(len(rec), max(recLen, start+12))
		if f := formatOf(rec[start+12 : end]); f != "" {
			face.Format, face.Image = f, rec[start+12:end]
		}
	}
	if face.Image == nil {
		// Some chips write the lengths wrong: find the image by its
		// signature after the general header.
		rest := bdb[facialHeadSize-12:]
		for _, f := range signatures {
			if i := bytes.Index(rest, f.magic); i >= 0 {
				face.Format, face.Image, face.Width, face.Height = f.format, rest[i:], 0, 0
				break
			}
		}
	}
	if face.Image == nil {
		return nil, fmt.Errorf("DG2: %w: no JPEG or JPEG 2000 image in the facial record", iso7816.ErrMalformed)
	}
	if face.Format == FormatJPEG2000 {
		face.Note = NoteJPEG2000
	}
	return face, nil
}

var signatures = []struct {
	magic  []byte
	format string
}{{jpegMagic, FormatJPEG}, {jp2Magic, FormatJPEG2000}, {j2kMagic, FormatJPEG2000}}

// formatOf names the format whose signature b starts with; "" for none.
func formatOf(b []byte) string {
	for _, f := range signatures {
		if bytes.HasPrefix(b, f.magic) {
			return f.format
		}
	}
	return ""
}

// ImageFormat names the format of an image file by its signature:
// FormatJPEG, FormatJPEG2000 (a JP2 file or a bare codestream), or "".
func ImageFormat(b []byte) string { return formatOf(b) }

// EncodeDG2 returns DG2 with one ISO 19794-5 facial record around image
// (JPEG or JPEG 2000, as the record's image data type says), for the
// emulator's cards.
func EncodeDG2(image []byte, jpeg2000 bool, width, height uint16) []byte {
	var rec []byte
	rec = append(rec, facialRecord...)
	rec = append(rec, "010\x00"...)
	rec = binary.BigEndian.AppendUint32(rec, uint32(facialHeadSize+len(image)))
	rec = binary.BigEndian.AppendUint16(rec, 1) // one face
	info := make([]byte, 20)
	binary.BigEndian.PutUint32(info, uint32(20+12+len(image)))
	rec = append(rec, info...)
	dataType := byte(0)
	if jpeg2000 {
		dataType = 1
	}
	img := []byte{1, dataType} // full frontal
	img = binary.BigEndian.AppendUint16(img, width)
	img = binary.BigEndian.AppendUint16(img, height)
	img = append(img, 1, 0, 0, 0, 0, 0) // 24-bit RGB, unknown source, device, quality
	rec = append(append(rec, img...), image...)
	header := iso7816.EncodeTLV(tagBHT, iso7816.EncodeTLV(0x80, []byte{1, 1}), iso7816.EncodeTLV(0x87, []byte{1, 1}), iso7816.EncodeTLV(0x88, []byte{0, 8}))
	bit := iso7816.EncodeTLV(tagBIT, header, iso7816.EncodeTLV(tagBDB, rec))
	return iso7816.EncodeTLV(tagDG2, iso7816.EncodeTLV(tagBITGroup, iso7816.EncodeTLV(tagCount, []byte{1}), bit))
}
