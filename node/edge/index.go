package edge

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// The name index answers "who is called this, born then?" (DESIGN.md, "Web UI": search by name without diacritics, with the date of birth). Its keys
// are h(folded name) h(birth year) h(ID): a search is a prefix scan over
// the name and year, then a check of month and day on the few records
// found, because a date of birth may be partial on either side. Full name
// and other name are both indexed. Keyed hashes allow only whole-name
// matches, which is what an officer types from a paper.

// ErrQuery is returned for a search that cannot be answered.
var ErrQuery = errors.New("edge: invalid search")

// maxSearch bounds the records one search decrypts, so a name shared by
// thousands costs milliseconds, not a scan of the commune.
const maxSearch = 5000

// indexKeys returns a record's name index keys and household index key
// (nil without a household); k is the record's key, h(ID).
func (s *Store) indexKeys(c *registry.Citizen, k []byte) (names [][]byte, household []byte) {
	year := birthYear(c)
	var folded []string
	for _, f := range []registry.Field{registry.FieldFullName, registry.FieldOtherName} {
		if n := registry.FoldName(c.Get(f)); n != "" && !slices.Contains(folded, n) {
			folded = append(folded, n)
		}
	}
	for _, n := range folded {
		key := make([]byte, 0, 3*hashSize)
		key = s.keys.appendHash(key, "name", n)
		key = s.keys.appendHash(key, "year", year)
		names = append(names, append(key, k...))
	}
	if hh := c.Get(registry.FieldHousehold); hh != "" {
		household = append(s.keys.hash("household", hh), k...)
	}
	return names, household
}

// birthYear is the year part of the record's date of birth, "" if unknown.
func birthYear(c *registry.Citizen) string {
	if d := c.BirthDate(); d.Year != 0 {
		return strconv.Itoa(d.Year)
	}
	return ""
}

// Search returns the records of the subset whose full name or other name
// folds (registry.FoldName) to the fold of name, at most limit of them, in
// ID order. A non-zero birth narrows the search to records whose date of
// birth agrees with it in every part both know ("1990" finds 1990-05-01,
// 1990-05-01 finds a record that knows only 1990, and a record with no
// date of birth); a zero birth searches by name alone. No match is an
// empty result.
func (s *Store) Search(name string, birth registry.Date, limit int) ([]*registry.Citizen, error) {
	folded := registry.FoldName(name)
	if folded == "" || limit < 1 {
		return nil, ErrQuery
	}
	nameKey := s.keys.hash("name", folded)
	prefixes := [][]byte{nameKey}
	if birth.Year != 0 {
		prefixes = [][]byte{
			s.keys.appendHash(bytes.Clone(nameKey), "year", strconv.Itoa(birth.Year)),
			s.keys.appendHash(bytes.Clone(nameKey), "year", ""),
		}
	}
	var out []*registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		seen := map[string]bool{}
		for _, p := range prefixes {
			err := s.scan(tx, bNames, p, func(k []byte, c *registry.Citizen) bool {
				if !seen[string(k)] && (birth.Year == 0 || agree(birth, c.BirthDate())) {
					out = append(out, c)
				}
				seen[string(k)] = true
				return len(seen) < maxSearch
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

// agree reports whether two dates of birth agree in every part both know.
func agree(a, b registry.Date) bool {
	part := func(x, y int) bool { return x == 0 || y == 0 || x == y }
	return part(a.Year, b.Year) && part(a.Month, b.Month) && part(a.Day, b.Day)
}

// Household returns every record of the subset in household id, in ID
// order; an unknown household gives an empty result.
func (s *Store) Household(id string) ([]*registry.Citizen, error) {
	if id == "" {
		return nil, ErrQuery
	}
	prefix := s.keys.hash("household", id)
	var out []*registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.scan(tx, bHouseholds, prefix, func(_ []byte, c *registry.Citizen) bool {
			out = append(out, c)
			return true
		})
	})
	slices.SortFunc(out, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	return out, err
}

// scan calls fn with the key and record of every index entry of bucket
// that starts with prefix, until fn returns false. An entry whose record
// is missing means a broken index.
func (s *Store) scan(tx *bolt.Tx, bucket, prefix []byte, fn func(k []byte, c *registry.Citizen) bool) error {
	sub := tx.Bucket(bSubset)
	cur := tx.Bucket(bucket).Cursor()
	for key, _ := cur.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, _ = cur.Next() {
		k := key[len(key)-hashSize:]
		v := sub.Get(k)
		if v == nil {
			return fmt.Errorf("%w: %s entry %x names no record", ErrCorrupt, bucket, key)
		}
		c, _, err := s.record(k, v)
		if err != nil {
			return err
		}
		if !fn(k, c) {
			return nil
		}
	}
	return nil
}
