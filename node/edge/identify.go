package edge

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/xanode/xanode/node/registry"
)

// ErrFrozen is what Identify, Lookup, Search and Household return past the
// hard limit; errors.As gives a *FrozenError with the dates.
var ErrFrozen = errors.New("edge: local data frozen")

// FrozenError says since when the subset may not be served or back an
// identification.
// Its message is for the officer, in Vietnamese, and says what to do.
type FrozenError struct {
	Created time.Time // the bundle held was made then
	Since   time.Time // and froze then
}

func (e *FrozenError) Error() string {
	return fmt.Sprintf("Dữ liệu dân cư trên máy được cập nhật lần cuối ngày %s và đã quá hạn sử dụng từ ngày %s: "+
		"không được dùng để tra cứu, tìm kiếm hay đối chiếu xác thực công dân. Hãy kiểm tra kết nối mạng tới thành phố để cập nhật dữ liệu, "+
		"hoặc báo bộ phận CNTT của thành phố.", e.Created.Local().Format("02/01/2006"), e.Since.Local().Format("02/01/2006"))
}

func (e *FrozenError) Is(target error) bool { return target == ErrFrozen }

// Identify matches what a card (or its QR code) says, chip, against the
// local record of id: the identification decision of DESIGN.md, "Chip cards". A
// person not in the subset gives a nil record, whose fields all disagree.
// Past the hard limit it makes no decision and returns a *FrozenError
// (ErrFrozen): the caller shows what the card says without a comparison.
// Without any subset yet it returns ErrNoSubset.
func (e *Edge) Identify(id string, chip map[registry.Field]string) (*registry.Citizen, []FieldMatch, error) {
	if _, err := e.cfg.Store.Subset(); err != nil {
		return nil, nil, err
	}
	if err := e.CheckFrozen(); err != nil {
		return nil, nil, err
	}
	rec, err := e.cfg.Store.Citizen(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, err
	}
	ms := Match(chip, rec, e.cfg.Units)
	if rec != nil && len(Differences(ms)) > 0 {
		// A data-quality finding: counted for the fleet's charts; the
		// differences themselves travel with the identification change.
		if err := e.cfg.Store.addFinding(); err != nil {
			return nil, nil, err
		}
	}
	return rec, ms, nil
}

// FieldMatch compares one field of what a card says with the local record.
type FieldMatch struct {
	Field registry.Field
	Chip  string
	Local string
	Agree bool
	// Renamed: the two name the same place in different administrative
	// units, old and in force (registry.UnitMap): they agree, and the
	// officer is told why they read differently.
	Renamed bool
}

// compared are the fields a card carries that the registry also holds, in
// the order an officer reads them.
var compared = []registry.Field{
	registry.FieldFullName, registry.FieldBirthDate, registry.FieldSex, registry.FieldNationality,
	registry.FieldEthnicity, registry.FieldReligion, registry.FieldHometown, registry.FieldPermanentAddress,
	registry.FieldFatherName, registry.FieldMotherName, registry.FieldSpouseName, registry.FieldOldID,
	registry.FieldCardIssued, registry.FieldCardExpiry, registry.FieldFeatures,
}

// places are the fields that hold an address or a place, which cards
// issued before the reform of 1 July 2025 write in the old units.
var places = map[registry.Field]bool{registry.FieldPermanentAddress: true, registry.FieldHometown: true}

// Match compares the card's fields with the record, field by field, for
// every field the card states. Text compares after NFC, case folding and
// collapsing spaces: a card that writes "phường" where the registry writes
// "Phường" is not a finding, a different letter is. Places compare through
// units (nil: as text): a ward the reform merged or renamed is the same
// place, not a finding (DESIGN.md, "Domain model").
func Match(chip map[registry.Field]string, rec *registry.Citizen, units *registry.UnitMap) []FieldMatch {
	var out []FieldMatch
	for _, f := range compared {
		c, ok := chip[f]
		if !ok || c == "" {
			continue
		}
		local := ""
		if rec != nil {
			local = rec.Get(f)
		}
		m := FieldMatch{Field: f, Chip: c, Local: local, Agree: rec != nil && same(c, local)}
		if rec != nil && !m.Agree && places[f] {
			m.Agree, m.Renamed = units.SamePlace(c, local)
		}
		out = append(out, m)
	}
	return out
}

func same(a, b string) bool {
	clean := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(clean(a), clean(b))
}

// Differences lists the fields that disagree, as "field: card «x», record «y»"
// lines for the data-quality finding recorded with an identification.
func Differences(ms []FieldMatch) []string {
	var out []string
	for _, m := range ms {
		if !m.Agree {
			out = append(out, m.Field.String()+": card «"+m.Chip+"», record «"+m.Local+"»")
		}
	}
	return out
}
