package registry

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The administrative reform of 1 July 2025 (DESIGN.md, "Domain model")
// removed the district level and merged or renamed many communes and
// provinces: "Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ" is now part
// of "Phường Ninh Kiều, TP Cần Thơ". Cards issued before it carry the old
// units, records written since carry the new ones; a UnitMap lets the
// comparison of the two treat a renamed or merged unit as the same place.
// City IT provides the map as a file (ParseUnitMap); addresses stay free
// text everywhere else.

// ErrUnitMap is wrapped by every error about a unit map file.
var ErrUnitMap = errors.New("registry: unit map")

// UnitMapHeader is the header row a unit map file must start with (after
// any comment lines).
var UnitMapHeader = []string{"old_commune", "old_district", "old_province", "new_commune", "new_province"}

// UnitMap maps the commune-level units before the reform, named with
// their district and province, to the units in force. A unit split
// between several new ones has a row for each. The zero value and nil
// map nothing. It is read-only once parsed, so safe for concurrent use.
type UnitMap struct {
	byOld map[string][]unitPlace // key: unitKey(commune, district, province)
	rows  int
}

// unitPlace is a commune in force and its province, as keys.
type unitPlace struct{ commune, province string }

// Unit type words, lower case, each level's in the order they are tried
// (longer first where one is a prefix of another).
var (
	communeTypes  = []string{"phường", "xã", "thị trấn"}
	districtTypes = []string{"quận", "huyện", "thị xã", "thành phố"}
	provinceTypes = []string{"tỉnh", "thành phố"}
)

// abbreviations are the short forms addresses use for unit types, each
// with the dot or the space that must follow it.
var abbreviations = []struct{ short, long string }{
	{"tp.", "thành phố "}, {"tp ", "thành phố "}, {"tx.", "thị xã "}, {"tx ", "thị xã "},
	{"tt.", "thị trấn "}, {"tt ", "thị trấn "}, {"p.", "phường "}, {"q.", "quận "}, {"h.", "huyện "}, {"x.", "xã "},
}

// unitText is the comparison form of a unit name or address part: NFC,
// lower case, single spaces, unit type abbreviations written out ("TP
// Cần Thơ" and "Thành phố Cần Thơ" agree). Tone mark placement is left as
// written ("Hòa" and "Hoà" differ), as in the rest of the comparison.
func unitText(s string) string {
	s = strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
	for _, a := range abbreviations {
		if rest, ok := strings.CutPrefix(s, a.short); ok {
			s = a.long + rest
			break
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// hasType reports whether the comparison form s names a unit of one of
// types: the type word followed by a name.
func hasType(s string, types []string) bool {
	for _, t := range types {
		if rest, ok := strings.CutPrefix(s, t+" "); ok && rest != "" {
			return true
		}
	}
	return false
}

func unitKey(commune, district, province string) string {
	return commune + "|" + district + "|" + province
}

// ParseUnitMap reads a unit map in CSV (RFC 4180, UTF-8): lines starting
// with # are comments; the first record is the header UnitMapHeader; each
// further record names one commune-level unit before the reform with its
// district and province, and the commune and province it belongs to since.
// Every column is required, and each name must start with its level's
// type word (phường/xã/thị trấn; quận/huyện/thị xã/thành phố; tỉnh/thành
// phố; "TP" and the usual abbreviations are accepted), so that swapped
// columns are refused rather than matched wrongly. Errors name the line.
func ParseUnitMap(r io.Reader) (*UnitMap, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = len(UnitMapHeader)
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrUnitMap, err)
	}
	for i, h := range UnitMapHeader {
		if strings.TrimPrefix(strings.TrimSpace(head[i]), "\ufeff") != h {
			return nil, fmt.Errorf("%w: the header must be %s, not %s", ErrUnitMap, strings.Join(UnitMapHeader, ","), strings.Join(head, ","))
		}
	}
	m := &UnitMap{byOld: map[string][]unitPlace{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnitMap, err)
		}
		line, _ := cr.FieldPos(0)
		var v [5]string
		for i, want := range [][]string{communeTypes, districtTypes, provinceTypes, communeTypes, provinceTypes} {
			v[i] = unitText(rec[i])
			if !hasType(v[i], want) {
				return nil, fmt.Errorf("%w: line %d: %s %q must start with %s", ErrUnitMap, line, UnitMapHeader[i], rec[i], strings.Join(want, ", "))
			}
		}
		k := unitKey(v[0], v[1], v[2])
		p := unitPlace{v[3], v[4]}
		for _, have := range m.byOld[k] {
			if have == p {
				return nil, fmt.Errorf("%w: line %d: %s, %s, %s → %s, %s is listed twice", ErrUnitMap, line, rec[0], rec[1], rec[2], rec[3], rec[4])
			}
		}
		m.byOld[k] = append(m.byOld[k], p)
		m.rows++
	}
	if m.rows == 0 {
		return nil, fmt.Errorf("%w: no rows after the header", ErrUnitMap)
	}
	return m, nil
}

// Len is the number of rows (old unit to new unit) the map holds.
func (m *UnitMap) Len() int {
	if m == nil {
		return 0
	}
	return m.rows
}

// address is a free-text address in comparison form: what comes before
// the administrative units (house, street, hamlet), then the units found
// at its end.
type address struct {
	detail                      string
	commune, district, province string
}

// parseAddress splits an address at its commas and reads the units from
// the end: a province (tỉnh, thành phố), before it a district (quận,
// huyện, thị xã, thành phố) if any, before that a commune (phường, xã, thị
// trấn). What is not recognised stays in the detail.
func parseAddress(s string) address {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = unitText(parts[i])
	}
	var a address
	n := len(parts)
	if n >= 2 && hasType(parts[n-1], provinceTypes) {
		a.province, n = parts[n-1], n-1
		if n >= 2 && hasType(parts[n-1], districtTypes) && hasType(parts[n-2], communeTypes) {
			a.district, n = parts[n-1], n-1
		}
		if hasType(parts[n-1], communeTypes) {
			a.commune, n = parts[n-1], n-1
		}
		if a.commune == "" { // a province alone is not enough to read the rest by
			a.province, a.district, n = "", "", len(parts)
		}
	}
	a.detail = strings.Join(parts[:n], ", ")
	return a
}

func (a address) String() string {
	var out []string
	for _, p := range []string{a.detail, a.commune, a.district, a.province} {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// forms are the ways the address may be written since the reform: itself
// (already in force, or a unit the map does not know), and, when its
// commune, district and province are a row of the map, each unit it
// became. mapped reports whether the map gave any.
func (m *UnitMap) forms(a address) (forms []address, mapped bool) {
	forms = []address{a}
	if m == nil || a.district == "" {
		return forms, false
	}
	for _, p := range m.byOld[unitKey(a.commune, a.district, a.province)] {
		forms = append(forms, address{detail: a.detail, commune: p.commune, province: p.province})
	}
	return forms, len(forms) > 1
}

// SamePlace compares two addresses as the registry does (NFC, case and
// spacing ignored, unit type abbreviations written out) and, where one
// of them names a commune, district and province the map lists, also in
// the units in force: a card's "Số 12 Đường Mậu Thân, Phường Xuân Khánh,
// Quận Ninh Kiều, TP Cần Thơ" is the same place as a record's "Số 12
// Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ". renamed reports that
// they agree only through the map. A nil map compares the text only.
func (m *UnitMap) SamePlace(x, y string) (same, renamed bool) {
	ax, ay := parseAddress(x), parseAddress(y)
	if ax.String() == ay.String() {
		return true, false
	}
	fx, okx := m.forms(ax)
	fy, oky := m.forms(ay)
	if !okx && !oky {
		return false, false
	}
	for _, a := range fx {
		for _, b := range fy {
			if a.String() == b.String() {
				return true, true
			}
		}
	}
	return false, false
}
