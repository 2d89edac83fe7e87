package bundle

import (
	"encoding/binary"
	"slices"
	"sort"

	"github.com/xanode/xanode/node/registry"
)

// The format-3 payload stores the entries column by column (DESIGN.md,
// "Signed subsets"; the layout is in the package doc). Each value is coded
// by the first rule that gives it, in a fixed order, from what the decoder
// already holds: the IDs, the record's household, the columns decoded
// before, and the values of this column in earlier records. So a value
// that repeats what is known (a household's address, a card number that is
// the personal ID, a parent's name that is the parent's record) costs a
// code of one byte that zstd shrinks to a few bits, and a value has
// exactly one encoding: the decoder runs the same choice on what it
// decoded and refuses any other code.

// Value codes: one byte per record per column, in the column's code stream.
const (
	codeAbsent   = iota // no value
	codeAsBefore        // the value of the household's previous record
	codeDerived         // the column's derived value (see column.derive)
	codeDict            // data: how many entries back in the dictionary, 0 for a new one
	codeDate            // YYYY-MM-DD; data: zigzag year, month and day offsets from the reference date
	codeMonth           // YYYY-MM; data: zigzag year and month offsets
	codeYear            // YYYY; data: zigzag year offset
	codeDigits          // exactly width digits; data: their number
	codeMember          // a personal ID of the household; data: index among its records
	codeRecord          // an ID of the bundle; data: zigzag offset of its entry from this record's
	numCodes
)

type columnKind uint8

const (
	kindText   columnKind = iota
	kindDate              // codeDate, codeMonth, codeYear
	kindID                // codeMember, codeRecord, codeDigits (12)
	kindDigits            // codeDigits (width)
)

// Dictionaries: values that tend to repeat one another share one.
const (
	groupNames = iota
	groupPlaces
	groupHouseholds
	groupOther
	numGroups
)

// column says how one field is coded.
type column struct {
	field  registry.Field
	kind   columnKind
	group  int
	width  int                            // kindDigits
	derive func(m *columns, i int) string // "" when nothing is derived
	ref    func(m *columns, i int) dateRef
}

const idLen = 12

// columnOrder is the order in which columns are coded: the household first
// (the others use it), then full names and the personal-ID links (names
// of parents and spouses are derived from them), then the rest by field.
var columnOrder = func() []column {
	c := map[registry.Field]column{
		registry.FieldFullName:         {kind: kindText, group: groupNames},
		registry.FieldOtherName:        {kind: kindText, group: groupNames},
		registry.FieldBirthDate:        {kind: kindDate, group: groupOther, ref: idYear},
		registry.FieldSex:              {kind: kindText, group: groupOther, derive: sexOfID},
		registry.FieldNationality:      {kind: kindText, group: groupOther},
		registry.FieldEthnicity:        {kind: kindText, group: groupOther},
		registry.FieldReligion:         {kind: kindText, group: groupOther},
		registry.FieldBirthPlace:       {kind: kindText, group: groupPlaces},
		registry.FieldHometown:         {kind: kindText, group: groupPlaces},
		registry.FieldPermanentAddress: {kind: kindText, group: groupPlaces},
		registry.FieldTemporaryAddress: {kind: kindText, group: groupPlaces},
		registry.FieldTemporaryUntil:   {kind: kindDate, group: groupOther, ref: fixedRef},
		registry.FieldTemporaryFrom:    {kind: kindDate, group: groupOther, ref: fixedRef},
		registry.FieldResidenceBasis:   {kind: kindText, group: groupOther},
		registry.FieldOwnerConsent:     {kind: kindText, group: groupOther},
		registry.FieldCurrentAddress:   {kind: kindText, group: groupPlaces, derive: sameAs(registry.FieldPermanentAddress)},
		registry.FieldCommune:          {kind: kindText, group: groupOther, derive: func(m *columns, _ int) string { return m.commune }},
		registry.FieldHousehold:        {kind: kindText, group: groupHouseholds},
		registry.FieldRelation:         {kind: kindText, group: groupOther},
		registry.FieldFatherID:         {kind: kindID, group: groupOther},
		registry.FieldFatherName:       {kind: kindText, group: groupNames, derive: nameOf(registry.FieldFatherID)},
		registry.FieldMotherID:         {kind: kindID, group: groupOther},
		registry.FieldMotherName:       {kind: kindText, group: groupNames, derive: nameOf(registry.FieldMotherID)},
		registry.FieldSpouseID:         {kind: kindID, group: groupOther},
		registry.FieldSpouseName:       {kind: kindText, group: groupNames, derive: nameOf(registry.FieldSpouseID)},
		registry.FieldOldID:            {kind: kindDigits, group: groupOther, width: 9},
		registry.FieldCardNumber:       {kind: kindDigits, group: groupOther, width: idLen, derive: ownID},
		registry.FieldCardIssued:       {kind: kindDate, group: groupOther, ref: fixedRef},
		registry.FieldCardExpiry:       {kind: kindDate, group: groupOther, ref: birthRef},
		registry.FieldStatus:           {kind: kindText, group: groupOther},
		registry.FieldDeathDate:        {kind: kindDate, group: groupOther, ref: fixedRef},
		registry.FieldFeatures:         {kind: kindText, group: groupOther},
		registry.FieldAbsence:          {kind: kindText, group: groupPlaces},
		registry.FieldAbsenceEnd:       {kind: kindDate, group: groupOther, ref: fixedRef},
	}
	first := []registry.Field{registry.FieldHousehold, registry.FieldFullName,
		registry.FieldFatherID, registry.FieldMotherID, registry.FieldSpouseID}
	order := make([]column, 0, registry.NumFields-1)
	add := func(f registry.Field) {
		col, ok := c[f]
		if !ok {
			panic("bundle: no column for field " + f.String())
		}
		col.field = f
		order = append(order, col)
		delete(c, f)
	}
	for _, f := range first {
		add(f)
	}
	for f := registry.Field(1); int(f) < registry.NumFields; f++ {
		if !slices.Contains(first, f) {
			add(f) // every field has a column: a new field must be given one here
		}
	}
	if len(c) != 0 {
		panic("bundle: a column names no field")
	}
	return order
}()

// columns is a payload's entries as columns: what the encoder codes and
// the decoder rebuilds. Records are the entries that carry a citizen (all
// of a full bundle's, a delta's upserts), numbered in ID order.
type columns struct {
	kind    Kind
	commune string   // the header's: the derived value of FieldCommune
	ids     []string // every entry's ID, ascending
	record  []int32  // each entry's record number, -1 for a removal
	entry   []int32  // each record's entry number
	version []uint64 // each record's Version
	values  [registry.NumFields]strs

	// Filled once the household column is coded.
	household []int32   // each record's household (dictionary index), -1 for none
	previous  []int32   // the previous record of the same household, -1 for none
	members   [][]int32 // each household's records, ascending
}

// strs is a column's values in chunks of chunkSize, so that adding
// records never copies the values added before.
type strs [][]string

const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
)

func (s strs) at(i int) string { return s[i>>chunkBits][i&(chunkSize-1)] }

func (s *strs) add(v string) {
	if n := len(*s); n == 0 || len((*s)[n-1]) == chunkSize {
		*s = append(*s, make([]string, 0, chunkSize))
	}
	last := &(*s)[len(*s)-1]
	*last = append(*last, v)
}

// makeStrs returns n empty values, to be set by set.
func makeStrs(n int) strs {
	s := make(strs, 0, (n+chunkSize-1)/chunkSize)
	for n > 0 {
		k := min(n, chunkSize)
		s = append(s, make([]string, k))
		n -= k
	}
	return s
}

func (s strs) set(i int, v string) { s[i>>chunkBits][i&(chunkSize-1)] = v }

func newColumns(kind Kind, commune string) *columns {
	return &columns{kind: kind, commune: commune}
}

// add appends an entry: a record, or a removal when c is nil.
func (m *columns) add(id string, c *registry.Citizen) {
	if c == nil {
		m.ids = append(m.ids, id)
		m.record = append(m.record, -1)
		return
	}
	m.record = append(m.record, int32(len(m.entry)))
	m.entry = append(m.entry, int32(len(m.ids)))
	m.ids = append(m.ids, id)
	m.version = append(m.version, c.Version)
	for f := 1; f < registry.NumFields; f++ {
		m.values[f].add(c.Values[f])
	}
}

// linkHouseholds fills previous and members from household.
func (m *columns) linkHouseholds(households int) {
	m.previous = make([]int32, len(m.entry))
	m.members = make([][]int32, households)
	for i, h := range m.household {
		m.previous[i] = -1
		if h < 0 {
			continue
		}
		if n := len(m.members[h]); n > 0 {
			m.previous[i] = m.members[h][n-1]
		}
		m.members[h] = append(m.members[h], int32(i))
	}
}

// coded is the choice for one value: its code and the code's numbers.
type coded struct {
	code byte
	n    int
	data [3]uint64
}

// choose returns the code for value v of column c in record i: the first
// rule that gives v, in the order of the codes (a dictionary entry last).
// Encoder and decoder both call it, which is what makes the encoding
// canonical.
func (m *columns) choose(c *column, i int, v string) coded {
	if v == "" {
		return coded{code: codeAbsent}
	}
	if m.previous != nil {
		if p := m.previous[i]; p >= 0 && m.values[c.field].at(int(p)) == v {
			return coded{code: codeAsBefore}
		}
	}
	if c.derive != nil && c.derive(m, i) == v {
		return coded{code: codeDerived}
	}
	switch c.kind {
	case kindDate:
		if d, ok := m.dateCode(c, i, v); ok {
			return d
		}
	case kindID:
		if j := m.member(i, v); j >= 0 {
			return coded{code: codeMember, n: 1, data: [3]uint64{uint64(j)}}
		}
		if e := m.entryOf(v); e >= 0 {
			return coded{code: codeRecord, n: 1, data: [3]uint64{zigzag(int64(e) - int64(m.entry[i]))}}
		}
		if n, ok := digits(v, idLen); ok {
			return coded{code: codeDigits, n: 1, data: [3]uint64{n}}
		}
	case kindDigits:
		if n, ok := digits(v, c.width); ok {
			return coded{code: codeDigits, n: 1, data: [3]uint64{n}}
		}
	}
	return coded{code: codeDict}
}

// entryOf returns the entry number of id, or -1.
func (m *columns) entryOf(id string) int {
	e := sort.SearchStrings(m.ids, id)
	if e < len(m.ids) && m.ids[e] == id {
		return e
	}
	return -1
}

// recordOf returns the record number of id, or -1 (not in the bundle, or
// removed by it).
func (m *columns) recordOf(id string) int {
	if e := m.entryOf(id); e >= 0 {
		return int(m.record[e])
	}
	return -1
}

// member returns the index of id among the records of record i's
// household, or -1.
func (m *columns) member(i int, id string) int {
	if m.household == nil || m.household[i] < 0 {
		return -1
	}
	recs := m.members[m.household[i]]
	j := sort.Search(len(recs), func(j int) bool { return m.ids[m.entry[recs[j]]] >= id })
	if j < len(recs) && m.ids[m.entry[recs[j]]] == id {
		return j
	}
	return -1
}

// Derived values.

func ownID(m *columns, i int) string { return m.ids[m.entry[i]] }

func sameAs(f registry.Field) func(*columns, int) string {
	return func(m *columns, i int) string { return m.values[f].at(i) }
}

// nameOf derives a parent's or spouse's name from their record, when the
// bundle holds it.
func nameOf(link registry.Field) func(*columns, int) string {
	return func(m *columns, i int) string {
		id := m.values[link].at(i)
		if id == "" {
			return ""
		}
		if r := m.recordOf(id); r >= 0 {
			return m.values[registry.FieldFullName].at(r)
		}
		return ""
	}
}

// sexOfID reads the sex from the century/sex digit of a personal ID
// (DESIGN.md, "Domain model"): even for men, odd for women.
func sexOfID(m *columns, i int) string {
	id := ownID(m, i)
	if _, ok := digits(id, idLen); !ok {
		return ""
	}
	if (id[3]-'0')%2 == 0 {
		return registry.SexMale
	}
	return registry.SexFemale
}

// Dates.

// dateRef is the date a date column codes its offsets from.
type dateRef struct{ year, month, day int }

// fixedRef serves dates that depend on nothing else in the record.
func fixedRef(*columns, int) dateRef { return dateRef{2000, 1, 1} }

// idYear: a date of birth is near 1 January of the birth year the
// personal ID gives.
func idYear(m *columns, i int) dateRef {
	id := ownID(m, i)
	if _, ok := digits(id, idLen); !ok {
		return fixedRef(m, i)
	}
	century := int(id[3]-'0') / 2
	return dateRef{1900 + 100*century + int(id[4]-'0')*10 + int(id[5]-'0'), 1, 1}
}

// birthRef: a card expires on a birthday (at 25, 40 or 60), so its
// expiry is coded from the date of birth.
func birthRef(m *columns, i int) dateRef {
	y, mo, d, form := dateParts(m.values[registry.FieldBirthDate].at(i))
	if form == 0 {
		return fixedRef(m, i)
	}
	return dateRef{y, max(mo, 1), max(d, 1)}
}

// dateParts reads YYYY-MM-DD, YYYY-MM or YYYY made of digits (whether
// or not the date exists: what counts is that the numbers give the string
// back) and returns the code of its form, or 0.
func dateParts(v string) (year, month, day int, form byte) {
	num := func(s string) (int, bool) {
		n, ok := digits(s, len(s))
		return int(n), ok
	}
	var ok1, ok2, ok3 bool
	switch len(v) {
	case 10:
		if v[4] != '-' || v[7] != '-' {
			return 0, 0, 0, 0
		}
		year, ok1 = num(v[:4])
		month, ok2 = num(v[5:7])
		day, ok3 = num(v[8:])
		form = codeDate
	case 7:
		if v[4] != '-' {
			return 0, 0, 0, 0
		}
		year, ok1 = num(v[:4])
		month, ok2 = num(v[5:])
		ok3, form = true, codeMonth
	case 4:
		year, ok1 = num(v)
		ok2, ok3, form = true, true, codeYear
	}
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, 0
	}
	return year, month, day, form
}

func (m *columns) dateCode(c *column, i int, v string) (coded, bool) {
	y, mo, d, form := dateParts(v)
	if form == 0 {
		return coded{}, false
	}
	ref := c.ref(m, i)
	out := coded{code: form, n: 1, data: [3]uint64{zigzag(int64(y - ref.year))}}
	if form != codeYear {
		out.n, out.data[1] = 2, zigzag(int64(mo-ref.month))
	}
	if form == codeDate {
		out.n, out.data[2] = 3, zigzag(int64(d-ref.day))
	}
	return out, true
}

// digits returns the number written by v when v is exactly width ASCII
// digits (width at most 18, so the number fits).
func digits(v string, width int) (uint64, bool) {
	if len(v) != width || width == 0 || width > 18 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(v[i]-'0')
	}
	return n, true
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Streams of the payload, in this order (see the package doc).
const (
	streamIDs = iota
	streamKinds
	streamVersions
	streamColumns // a code and a data stream per column, in columnOrder
)

var (
	numColumnStreams = 2 * len(columnOrder)
	streamStrings    = streamColumns + numColumnStreams // one per dictionary
	numStreams       = streamStrings + numGroups
)

// encode returns the format-3 payload of m's entries (before
// compression).
func (m *columns) encode() []byte {
	s := make([][]byte, numStreams)
	s[streamIDs] = m.encodeIDs(nil)
	for e := range m.ids {
		if m.kind == KindDelta {
			tag := byte(tagUpsert)
			if m.record[e] < 0 {
				tag = tagRemove
			}
			s[streamKinds] = append(s[streamKinds], tag)
		}
	}
	prev := uint64(0)
	for _, v := range m.version {
		s[streamVersions] = binary.AppendUvarint(s[streamVersions], zigzag(int64(v-prev)))
		prev = v
	}
	m.household, m.previous, m.members = nil, nil, nil
	var dict [numGroups]map[string]uint64
	for g := range dict {
		dict[g] = make(map[string]uint64)
	}
	for k := range columnOrder {
		c := &columnOrder[k]
		codes := make([]byte, 0, len(m.entry))
		var data []byte
		if c.field == registry.FieldHousehold {
			m.household = make([]int32, len(m.entry))
		}
		for i := range m.entry {
			v := m.values[c.field].at(i)
			cd := m.choose(c, i, v)
			codes = append(codes, cd.code)
			for _, x := range cd.data[:cd.n] {
				data = binary.AppendUvarint(data, x)
			}
			if c.field == registry.FieldHousehold {
				m.household[i] = -1
			}
			if cd.code != codeDict {
				continue
			}
			d := dict[c.group]
			// Dictionary entries are named by how far back they are, 0
			// for a new one: a delta's values are mostly new, and a
			// household's often recent.
			used := uint64(len(d))
			idx, ok := d[v]
			if !ok {
				idx = used
				d[v] = idx
				s[streamStrings+c.group] = appendString(s[streamStrings+c.group], v)
			}
			data = binary.AppendUvarint(data, used-idx)
			if c.field == registry.FieldHousehold {
				m.household[i] = int32(idx)
			}
		}
		if c.field == registry.FieldHousehold {
			m.linkHouseholds(len(dict[groupHouseholds]))
		}
		s[streamColumns+2*k], s[streamColumns+2*k+1] = codes, data
	}
	size := 0
	for _, b := range s {
		size += binary.MaxVarintLen64 + len(b)
	}
	out := make([]byte, 0, size)
	for _, b := range s {
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

// encodeIDs codes the ascending IDs: a personal ID that follows another
// (or comes first) as its distance from it, less one, doubled; any other
// as its length doubled plus one, then its bytes.
func (m *columns) encodeIDs(b []byte) []byte {
	prev, after := int64(-1), true // the previous ID's number; whether it is a personal ID (or there is none)
	for _, id := range m.ids {
		n, ok := digits(id, idLen)
		if ok && after {
			b = binary.AppendUvarint(b, 2*uint64(int64(n)-prev-1))
		} else {
			b = binary.AppendUvarint(b, 2*uint64(len(id))+1)
			b = append(b, id...)
		}
		prev, after = int64(n), ok
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
