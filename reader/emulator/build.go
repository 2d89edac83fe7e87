package emulator

import (
	"crypto"
	"fmt"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/faceimg"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/vncard"
)

// Person is what the card issuer writes on a CCCD chip.
type Person struct {
	ID              string // 12-digit personal ID
	FullName        string // with diacritics, e.g. "Nguyễn Thị Thu Hà"
	DateOfBirth     vncard.Date
	Sex             string // "M" or "F"
	IssueDate       vncard.Date
	ExpiryDate      vncard.Date
	Nationality     string // "" means "Việt Nam"
	Ethnicity       string
	Religion        string
	Hometown        string
	Residence       string
	Characteristics string
	Father          string
	Mother          string
	Spouse          string
	OldID           string // old 9-digit ID, if any
	// Face is the portrait for DG2: a JPEG or JPEG 2000 file (told apart
	// by its signature); nil writes no DG2, as on cards made before.
	Face []byte
}

// Signer is a Document Signer: the key that signs EF.SOD and its
// certificate (DER), which goes into EF.SOD.
type Signer struct {
	Key  crypto.Signer
	Cert []byte
}

// LDS and Unicode versions written to EF.COM, as on the CCCD.
const (
	ldsVersion     = "0107"
	unicodeVersion = "040000"
)

// Build makes the files of a CCCD chip for p: DG1 with the TD1 MRZ, DG13
// with the Vietnamese fields, and EF.COM and EF.SOD over them (see Seal).
func Build(p Person, ds Signer) (Files, error) {
	if p.FullName == "" {
		return nil, fmt.Errorf("emulator: the card needs a full name")
	}
	mrz, err := vncard.NewMRZ(p.ID, p.DateOfBirth, p.Sex, p.ExpiryDate, p.FullName)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	dg1, err := vncard.EncodeDG1(mrz)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	sex := "Nam"
	if p.Sex == "F" {
		sex = "Nữ"
	}
	nationality := p.Nationality
	if nationality == "" {
		nationality = "Việt Nam"
	}
	d := &vncard.DG13{
		Version: 1, ID: p.ID, FullName: p.FullName, DateOfBirth: p.DateOfBirth, Sex: sex,
		Nationality: nationality, Ethnicity: p.Ethnicity, Religion: p.Religion, Hometown: p.Hometown,
		Residence: p.Residence, Characteristics: p.Characteristics, IssueDate: p.IssueDate,
		ExpiryDate: p.ExpiryDate, Father: p.Father, Mother: p.Mother, Spouse: p.Spouse, OldID: p.OldID,
	}
	dg13, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	files := Files{"DG1": dg1, "DG13": dg13}
	if p.Face != nil {
		info, err := faceimg.Inspect(p.Face)
		if err != nil {
			return nil, fmt.Errorf("emulator: face: %w", err)
		}
		files["DG2"] = vncard.EncodeDG2(p.Face, info.Format == vncard.FormatJPEG2000, uint16(info.Width), uint16(info.Height))
	}
	if err := Seal(files, ds); err != nil {
		return nil, err
	}
	return files, nil
}

// Seal (re)writes EF.COM and EF.SOD for the data groups in files, so that a
// test can add or change a data group (a face in DG2, a tampered DG13 under
// a fresh signature) and still have a consistent card.
func Seal(files Files, ds Signer) error {
	if ds.Key == nil || ds.Cert == nil {
		return fmt.Errorf("emulator: a Document Signer key and certificate are needed to sign EF.SOD")
	}
	com := &emrtd.COM{LDSVersion: ldsVersion, UnicodeVersion: unicodeVersion}
	groups := map[int][]byte{}
	for name, data := range files {
		f, ok := emrtd.FileByName(name)
		if !ok {
			return fmt.Errorf("emulator: %q is not an ICAO elementary file name", name)
		}
		if n := f.DataGroup(); n > 0 {
			com.DataGroups = append(com.DataGroups, n)
			groups[n] = data
		}
	}
	comBytes, err := com.Marshal()
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	sodBytes, err := sod.Sign(groups, ds.Key, ds.Cert)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	files["COM"], files["SOD"] = comBytes, sodBytes
	return nil
}
