package vncard

import (
	"fmt"

	"github.com/xanode/xanode/reader/iso7816"
)

const (
	tagDG1 iso7816.Tag = 0x61
	tagMRZ iso7816.Tag = 0x5F1F
)

// ParseDG1 reads DG1, 61 { 5F1F <MRZ> }, and parses its TD1 MRZ.
func ParseDG1(b []byte) (*MRZ, error) {
	v, err := iso7816.Unwrap(b, tagDG1)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	mrz, ok, err := iso7816.Find(v, tagMRZ)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("DG1: %w: no MRZ (5F1F)", iso7816.ErrMalformed)
	}
	m, err := ParseMRZ(string(mrz))
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	return m, nil
}

// EncodeDG1 returns DG1 holding the MRZ.
func EncodeDG1(m *MRZ) ([]byte, error) {
	l, err := m.Lines()
	if err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(tagDG1, iso7816.EncodeTLV(tagMRZ, []byte(l[0]+l[1]+l[2]))), nil
}
