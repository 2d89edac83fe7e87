package emrtd

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/xanode/xanode/reader/iso7816"
)

// AID of the LDS1 eMRTD application (ICAO 9303-10 3.10).
var AID = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// File describes an elementary file of ICAO 9303-10.
type File struct {
	Name string      // ICAO short name: COM, SOD, DG1..DG16, CardAccess, ...
	FID  uint16      // file identifier
	SFI  byte        // short file identifier
	Tag  iso7816.Tag // first tag of the file's content
	// InMaster is true for files of the master file (EF.CardAccess,
	// EF.CardSecurity, EF.DIR), false for files of the LDS1 application.
	InMaster bool
}

// DataGroup returns the data group number of a DGn file, 0 for others.
func (f File) DataGroup() int {
	s, ok := strings.CutPrefix(f.Name, "DG")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// dgTags are the first tags of DG1..DG16 (ICAO 9303-10 4.6).
var dgTags = [17]iso7816.Tag{1: 0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70}

// Files lists every elementary file, master-file ones first, then EF.COM,
// the data groups in order, and EF.SOD.
var Files = func() []File {
	fs := []File{
		{Name: "CardAccess", FID: 0x011C, SFI: 0x1C, Tag: 0x31, InMaster: true},
		{Name: "CardSecurity", FID: 0x011D, SFI: 0x1D, Tag: 0x30, InMaster: true},
		{Name: "DIR", FID: 0x2F00, SFI: 0x1E, Tag: 0x61, InMaster: true},
		{Name: "COM", FID: 0x011E, SFI: 0x1E, Tag: 0x60},
	}
	for n := 1; n <= 16; n++ {
		fs = append(fs, File{Name: fmt.Sprintf("DG%d", n), FID: 0x0100 + uint16(n), SFI: byte(n), Tag: dgTags[n]})
	}
	return append(fs, File{Name: "SOD", FID: 0x011D, SFI: 0x1D, Tag: 0x77})
}()

// Well-known files of the LDS1 application.
var (
	FileCardAccess = mustFile("CardAccess")
	FileCOM        = mustFile("COM")
	FileSOD        = mustFile("SOD")
	FileDG1        = DataGroupFile(1)
	FileDG2        = DataGroupFile(2)
	FileDG13       = DataGroupFile(13)
)

// FileByName looks a file up by its short name, case-insensitively.
func FileByName(name string) (File, bool) {
	for _, f := range Files {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return File{}, false
}

func mustFile(name string) File {
	f, ok := FileByName(name)
	if !ok {
		panic("emrtd: no file " + name)
	}
	return f
}

// DataGroupFile returns the file of data group n (1..16).
func DataGroupFile(n int) File {
	if n < 1 || n > 16 {
		return File{}
	}
	return Files[3+n]
}

// COM is the content of EF.COM: versions and the data groups present.
type COM struct {
	LDSVersion     string // "0107" for LDS 1.7
	UnicodeVersion string // "040000" for Unicode 4.0.0
	DataGroups     []int  // from the tag list, in the card's order
}

// Tags of EF.COM.
const (
	tagCOM            iso7816.Tag = 0x60
	tagLDSVersion     iso7816.Tag = 0x5F01
	tagUnicodeVersion iso7816.Tag = 0x5F36
	tagTagList        iso7816.Tag = 0x5C
)

// ParseCOM decodes EF.COM. Unknown tags in the tag list are an error: the
// list says which files to read, and a wrong guess costs APDUs or hides data.
func ParseCOM(b []byte) (*COM, error) {
	v, err := iso7816.Unwrap(b, tagCOM)
	if err != nil {
		return nil, fmt.Errorf("EF.COM: %w", err)
	}
	objs, err := iso7816.ParseAll(v)
	if err != nil {
		return nil, fmt.Errorf("EF.COM: %w", err)
	}
	c := &COM{}
	haveList := false
	for _, o := range objs {
		switch o.Tag {
		case tagLDSVersion:
			c.LDSVersion = string(o.Value)
		case tagUnicodeVersion:
			c.UnicodeVersion = string(o.Value)
		case tagTagList:
			haveList = true
			for _, t := range o.Value {
				n := dataGroupOfTag(iso7816.Tag(t))
				if n == 0 {
					return nil, fmt.Errorf("EF.COM: %w: unknown data group tag %02X", iso7816.ErrMalformed, t)
				}
				c.DataGroups = append(c.DataGroups, n)
			}
		}
	}
	if !haveList {
		return nil, fmt.Errorf("EF.COM: %w: no tag list (5C)", iso7816.ErrMalformed)
	}
	return c, nil
}

// Has reports whether the tag list names data group n.
func (c *COM) Has(n int) bool {
	for _, d := range c.DataGroups {
		if d == n {
			return true
		}
	}
	return false
}

// Marshal encodes EF.COM with the data groups in ascending order.
func (c *COM) Marshal() ([]byte, error) {
	dgs := append([]int(nil), c.DataGroups...)
	sort.Ints(dgs)
	list := make([]byte, 0, len(dgs))
	for _, n := range dgs {
		if n < 1 || n > 16 {
			return nil, fmt.Errorf("EF.COM: no data group %d", n)
		}
		list = append(list, byte(dgTags[n]))
	}
	return iso7816.EncodeTLV(tagCOM,
		iso7816.EncodeTLV(tagLDSVersion, []byte(c.LDSVersion)),
		iso7816.EncodeTLV(tagUnicodeVersion, []byte(c.UnicodeVersion)),
		iso7816.EncodeTLV(tagTagList, list)), nil
}

func dataGroupOfTag(t iso7816.Tag) int {
	for n := 1; n <= 16; n++ {
		if dgTags[n] == t {
			return n
		}
	}
	return 0
}
