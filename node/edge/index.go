package edge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Search by name (DESIGN.md, "Web UI"): the words typed match the words
// of a full or other name in order, each as a prefix, with or without
// diacritics; see nameindex.go for the index that answers it.

// ErrQuery is returned for a search that cannot be answered.
var ErrQuery = errors.New("edge: invalid search")

// BirthYearSlack is how far a record's year of birth may be from the year
// searched for and still match: people misremember, papers disagree.
const BirthYearSlack = 2

// maxQueryWords bounds the words of a search that are looked up.
const maxQueryWords = 8

// Class ranks how well a name matches a search, best first.
type Class uint8

// The classes.
const (
	// ClassExact: the name is the words typed, nothing more.
	ClassExact Class = iota
	// ClassWords: every word typed is a whole word of the name, in order.
	ClassWords
	// ClassPrefix: every word typed begins a word of the name, in order.
	ClassPrefix
)

// Query is a search by name, typed as officers type it, and an optional
// date of birth (full or partial; zero: none).
type Query struct {
	Name  string
	Birth registry.Date
	// Limit is the most records returned, at least 1.
	Limit int
}

// Found is one record found, with how it matched.
type Found struct {
	Citizen *registry.Citizen
	Class   Class
	// OtherName: the other name matched, not the full name.
	OtherName bool
}

// Result is what a search found. Total counts every record that matches;
// Matches holds the best of them, decrypted, best first.
type Result struct {
	Matches []Found
	Total   int
}

// Search ranks the records whose full or other name holds the query's
// words in order (exact name, then whole words, then prefixes), then, with
// a date of birth, by how far the year of birth is from the one given
// (records within BirthYearSlack years or without a year match), then by
// whether the date agrees in every part both know, then by ID. Words of
// one letter are left out of the match; a query with no longer word is
// ErrQuery.
//
// Without a date of birth, a name many people share is not listed in
// full: when more than Limit records match, only the best classes that
// fit within Limit are returned (perhaps none), and Total says how many
// match, so the officer is asked for the year of birth rather than shown
// a page of strangers. With a date of birth, the best Limit are returned.
// Only the records returned are decrypted.
func (s *Store) Search(q Query) (Result, error) {
	words := queryWords(registry.FoldName(q.Name))
	if len(words) == 0 || q.Limit < 1 {
		return Result{}, ErrQuery
	}
	words = words[:min(len(words), maxQueryWords)]
	var res Result
	err := s.db.View(func(tx *bolt.Tx) error {
		cands, total, err := s.candidates(tx, words, q.Birth, q.Limit+1)
		if err != nil {
			return err
		}
		res.Total = total
		chosen := cands[:min(len(cands), q.Limit)]
		if q.Birth.Year == 0 && len(cands) > q.Limit {
			cut := cands[q.Limit].class
			n := 0
			for n < len(cands) && cands[n].class < cut {
				n++
			}
			chosen = cands[:n]
		}
		res.Matches, err = s.open(tx, chosen, words)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	slices.SortStableFunc(res.Matches, func(a, b Found) int {
		if a.Class != b.Class {
			return int(a.Class) - int(b.Class)
		}
		da, db := yearOff(q.Birth, a.Citizen.BirthDate()), yearOff(q.Birth, b.Citizen.BirthDate())
		if da != db {
			return da - db
		}
		aa, ab := agree(q.Birth, a.Citizen.BirthDate()), agree(q.Birth, b.Citizen.BirthDate())
		if aa != ab {
			if aa {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Citizen.ID, b.Citizen.ID)
	})
	return res, nil
}

// candidate is a record that matches, known from the index alone.
type candidate struct {
	ref     uint64
	class   Class
	yearOff int
	agree   bool
	other   bool
}

// candidates intersects the query words' lists and returns the best n of
// what matches, ranked, and how many match. The shortest list drives; the
// others are walked forward by galloping, so the cost follows the
// shortest list, not the longest. The driving list is in reference order,
// so matches fall into their rank's bucket already sorted: nothing is
// sorted, whatever the number of matches.
func (s *Store) candidates(tx *bolt.Tx, words []string, birth registry.Date, n int) ([]candidate, int, error) {
	lists := map[string][]byte{}
	defer func() {
		for _, l := range lists {
			putListBuf(l)
		}
	}()
	for _, w := range words {
		if _, ok := lists[w]; ok {
			continue
		}
		l, err := s.list(tx, w)
		if err != nil {
			return nil, 0, err
		}
		lists[w] = l
		if len(l)%entrySize != 0 {
			return nil, 0, fmt.Errorf("%w: name index list of %d bytes", ErrCorrupt, len(l))
		}
		if len(l) == 0 {
			return nil, 0, nil
		}
	}
	shortest := words[0]
	for _, w := range words {
		if len(lists[w]) < len(lists[shortest]) {
			shortest = w
		}
	}
	wl := make([][]byte, len(words)) // each word's list
	for j, w := range words {
		wl[j] = lists[w]
	}
	at := make([]int, len(words)) // each word's position in its list, in entries
	// buckets[class][yearOff][disagree], each in reference order.
	var buckets [3][BirthYearSlack + 2][2][]candidate
	var last *candidate // the previous match: the record's other name may match too
	masks := make([]posting, len(words))
	base := lists[shortest]
	for i := 0; i < len(base); i += entrySize {
		if birth.Year != 0 {
			y := int(base[i+refSize+1])<<8 | int(base[i+refSize+2])
			if y != 0 && (y-birth.Year > BirthYearSlack || birth.Year-y > BirthYearSlack) {
				continue
			}
		}
		id := entryKey(base, i)
		found := true
		for j := range words {
			if &wl[j][0] == &base[0] { // the driving list itself
				masks[j] = decodePosting(base[i:])
				continue
			}
			e, ok := gallop(wl[j], &at[j], id)
			if !ok {
				found = false
				break
			}
			masks[j] = e
		}
		if !found {
			continue
		}
		class, ok := classify(masks)
		if !ok {
			continue
		}
		p := masks[0]
		born := registry.Date{Year: int(p.year), Month: int(p.month), Day: int(p.day)}
		c := candidate{ref: p.ref, class: class, yearOff: yearOff(birth, born), agree: agree(birth, born), other: p.other()}
		if last != nil && last.ref == c.ref {
			if rank(&c, last) >= 0 {
				continue
			}
			// The other name matches better: the record moves up.
			b := &buckets[last.class][last.yearOff][b2i(!last.agree)]
			*b = (*b)[:len(*b)-1]
		}
		b := &buckets[c.class][c.yearOff][b2i(!c.agree)]
		*b = append(*b, c)
		last = &(*b)[len(*b)-1]
	}
	var out []candidate
	total := 0
	for ci := range buckets {
		for yi := range buckets[ci] {
			for _, b := range buckets[ci][yi] {
				total += len(b)
				if len(out) < n {
					out = append(out, b[:min(len(b), n-len(out))]...)
				}
			}
		}
	}
	return out, total, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func rank(a, b *candidate) int {
	switch {
	case a.class != b.class:
		return int(a.class) - int(b.class)
	case a.yearOff != b.yearOff:
		return a.yearOff - b.yearOff
	case a.agree != b.agree:
		if a.agree {
			return -1
		}
		return 1
	}
	switch {
	case a.ref < b.ref:
		return -1
	case a.ref > b.ref:
		return 1
	}
	return 0
}

// entryKey is the sort key of the entry at byte offset i of a list: its
// reference and flags.
type sortKey struct {
	ref   uint64
	flags uint8
}

func entryKey(list []byte, i int) sortKey {
	return sortKey{binary.BigEndian.Uint64(list[i:]), list[i+refSize]}
}

func (k sortKey) less(o sortKey) bool {
	return k.ref < o.ref || (k.ref == o.ref && k.flags < o.flags)
}

// gallop moves *at forward in a sorted list to the first entry not below
// id, doubling its steps, and reports whether that entry is id. Callers
// ask for ids in ascending order.
func gallop(list []byte, at *int, id sortKey) (posting, bool) {
	n := len(list) / entrySize
	lo, step := *at, 1
	if lo >= n {
		return posting{}, false
	}
	if !entryKey(list, lo*entrySize).less(id) {
		step = 0
	} else {
		for lo+step < n && entryKey(list, (lo+step)*entrySize).less(id) {
			lo += step
			step *= 2
		}
		lo++ // list[lo-1+…] is below id; search (lo, lo+step]
	}
	hi := min(n, lo+step)
	i := lo + sort.Search(hi-lo, func(i int) bool { return !entryKey(list, (lo+i)*entrySize).less(id) })
	*at = i
	if i < n && entryKey(list, i*entrySize) == id {
		return decodePosting(list[i*entrySize:]), true
	}
	return posting{}, false
}

// classify decides how a name whose entries for the query's words (in
// the query's order) are masks matches, if it does.
func classify(masks []posting) (Class, bool) {
	inOrder := func(mask func(p posting) uint16) bool {
		prev := -1
		for _, p := range masks {
			m := mask(p) &^ uint16(1<<(prev+1)-1)
			if m == 0 {
				return false
			}
			prev = bits.TrailingZeros16(m)
		}
		return true
	}
	exact := len(masks) == masks[0].words()
	for i, p := range masks {
		exact = exact && p.emask&(1<<i) != 0
	}
	switch {
	case exact:
		return ClassExact, true
	case inOrder(func(p posting) uint16 { return p.emask }):
		return ClassWords, true
	case inOrder(func(p posting) uint16 { return p.pmask }):
		return ClassPrefix, true
	}
	return 0, false
}

// open decrypts the chosen records. A reference is a prefix of the
// record's key: when two records share it, each is checked against the
// words again and kept if it matches as the index said.
func (s *Store) open(tx *bolt.Tx, chosen []candidate, words []string) ([]Found, error) {
	out := make([]Found, 0, len(chosen))
	cur := tx.Bucket(bSubset).Cursor()
	for _, c := range chosen {
		var hits []Found
		ref := binary.BigEndian.AppendUint64(nil, c.ref)
		for k, v := cur.Seek(ref); k != nil && bytes.HasPrefix(k, ref); k, v = cur.Next() {
			rec, _, err := s.record(k, v)
			if err != nil {
				return nil, err
			}
			hits = append(hits, Found{Citizen: rec, Class: c.class, OtherName: c.other})
		}
		if len(hits) == 0 {
			return nil, fmt.Errorf("%w: name index names record %x, which is missing", ErrCorrupt, c.ref)
		}
		if len(hits) > 1 {
			hits = slices.DeleteFunc(hits, func(m Found) bool { return !matches(m.Citizen, words) })
		}
		out = append(out, hits...)
	}
	return out, nil
}

// matches reports whether a record's names hold the words as prefixes, in
// order, as the index would say.
func matches(c *registry.Citizen, words []string) bool {
	for _, f := range []registry.Field{registry.FieldFullName, registry.FieldOtherName} {
		name := nameWords(registry.FoldName(c.Get(f)))
		i := 0
		for _, w := range name {
			if i < len(words) && strings.HasPrefix(w, words[i]) {
				i++
			}
		}
		if i == len(words) && len(name) > 0 {
			return true
		}
	}
	return false
}

// yearOff is how many years a record's year of birth is from the one
// searched for; BirthYearSlack+1 when the record has no year (it still
// matches, after those with one), 0 when no date was given.
func yearOff(birth, rec registry.Date) int {
	switch {
	case birth.Year == 0:
		return 0
	case rec.Year == 0:
		return BirthYearSlack + 1
	}
	d := birth.Year - rec.Year
	if d < 0 {
		d = -d
	}
	if d > BirthYearSlack {
		return BirthYearSlack + 2
	}
	return d
}

// agree reports whether two dates of birth agree in every part both know.
func agree(a, b registry.Date) bool {
	part := func(x, y int) bool { return x == 0 || y == 0 || x == y }
	return part(a.Year, b.Year) && part(a.Month, b.Month) && part(a.Day, b.Day)
}

// householdKey is a record's household index key (nil without a
// household); k is the record's key, h(ID).
func (s *Store) householdKey(c *registry.Citizen, k []byte) []byte {
	if hh := c.Get(registry.FieldHousehold); hh != "" {
		return append(s.keys.hash("household", hh), k...)
	}
	return nil
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
