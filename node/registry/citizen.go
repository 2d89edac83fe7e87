package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Stamp records which change last set a field: the base-version check and
// the time rule of conflict resolution are decided per field from it.
type Stamp struct {
	Index uint64 // raft index of the change
	Time  HLC    // the officer's action time
	Node  string // node that recorded the change
}

// Citizen is one person's record. Index 0 of Values and Stamps is unused so
// that a Field indexes them directly.
type Citizen struct {
	ID      string
	Version uint64 // raft index of the last change that set any field
	Values  [NumFields]string
	Stamps  [NumFields]Stamp
}

// Get returns the value of f ("" when unset).
func (c *Citizen) Get(f Field) string {
	if !f.Valid() {
		return ""
	}
	return c.Values[f]
}

// Set stores an already-normalized value with the stamp of the change that
// set it, and advances Version.
func (c *Citizen) Set(f Field, v string, s Stamp) {
	c.Values[f] = v
	c.Stamps[f] = s
	if s.Index > c.Version {
		c.Version = s.Index
	}
}

// BirthDate parses FieldBirthDate; the zero Date if unset or malformed.
func (c *Citizen) BirthDate() Date {
	d, _ := ParseDate(c.Values[FieldBirthDate])
	return d
}

// Deceased reports whether the record is closed by a death.
func (c *Citizen) Deceased() bool { return c.Values[FieldStatus] == StatusDeceased }

// Merged reports whether the record is a retired duplicate: city IT merged
// it into another record, and it is nobody's resident any more.
func (c *Citizen) Merged() bool { return c.Values[FieldStatus] == StatusMerged }

// Fields returns the set fields as a name → value map (for JSON and forms).
func (c *Citizen) Fields() map[string]string {
	m := make(map[string]string)
	for f := Field(1); f < numFields; f++ {
		if v := c.Values[f]; v != "" {
			m[f.String()] = v
		}
	}
	return m
}

// MarshalJSON gives {"id", "version", "fields": {name: value}}.
func (c *Citizen) MarshalJSON() ([]byte, error) {
	return json.Marshal(citizenJSON{c.ID, c.Version, c.Fields()})
}

// citizenJSON is the JSON shape of a Citizen. Stamps are not part of it:
// JSON carries records between tools, provenance stays in the canonical
// encoding.
type citizenJSON struct {
	ID      string            `json:"id"`
	Version uint64            `json:"version"`
	Fields  map[string]string `json:"fields"`
}

// UnmarshalJSON reads the MarshalJSON shape. Every value is normalized with
// Field.Normalize, so hand-edited or foreign files still give canonical
// records. Unknown keys and unknown field names are refused rather than
// dropped: a dropped field would be data silently lost on import. The ID
// must be a personal ID or a provisional one; stamps are left zero.
func (c *Citizen) UnmarshalJSON(b []byte) error {
	var in citizenJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("citizen record: %w", err)
	}
	if !IsProvisional(in.ID) {
		if _, err := ParseID(in.ID); err != nil {
			return fmt.Errorf("citizen record: id: %w", err)
		}
	}
	names := make([]string, 0, len(in.Fields))
	for name := range in.Fields {
		names = append(names, name)
	}
	sort.Strings(names) // the first error reported does not depend on map order
	out := Citizen{ID: in.ID, Version: in.Version}
	for _, name := range names {
		f, ok := FieldByName(name)
		if !ok {
			return fmt.Errorf("citizen %s: %w: unknown field %q", in.ID, ErrField, name)
		}
		v, err := f.Normalize(in.Fields[name])
		if err != nil {
			return fmt.Errorf("citizen %s: %w", in.ID, err)
		}
		out.Values[f] = v
	}
	*c = out
	return nil
}

// FoldName turns a Vietnamese name into its search key: lower case, no
// diacritics, single spaces. đ/Đ have no Unicode decomposition and are
// mapped to d explicitly. "Nguyễn Văn Đức" → "nguyen van duc".
//
// Names made of ASCII and precomposed Latin letters (every Vietnamese
// name typed or stored in NFC) are folded through a table, without
// normalizing: an edge folds every name of its commune when it installs
// a subset. Anything else takes the general path; both give the same
// result (TestFoldNameFastPath).
func FoldName(s string) string {
	if folded, ok := foldFast(s); ok {
		return folded
	}
	return foldSlow(s)
}

// latinFold and extendedFold map the precomposed Latin letters
// U+00C0–U+024F and U+1E00–U+1EFF (Vietnamese's) to their fold, foldSlow
// of the letter alone; 0: not a letter the tables fold.
var latinFold, extendedFold = foldTable(0xC0, 0x250), foldTable(0x1E00, 0x1F00)

func foldTable(from, to rune) []byte {
	t := make([]byte, to-from)
	for r := from; r < to; r++ {
		if f := foldSlow(string(r)); len(f) == 1 && f[0] >= 'a' && f[0] <= 'z' {
			t[r-from] = f[0]
		}
	}
	return t
}

func foldFast(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	space := false
	for _, r := range s {
		var c byte
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			space = len(b) > 0
			continue
		case r < 0x80:
			c = byte(unicode.ToLower(r))
		case r >= 0xC0 && r < 0x250:
			c = latinFold[r-0xC0]
		case r >= 0x1E00 && r < 0x1F00:
			c = extendedFold[r-0x1E00]
		}
		if c == 0 {
			return "", false
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return string(b), true
}

func foldSlow(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
