package edge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// The name index (DESIGN.md, "Web UI", search) answers "whose name has
// words starting with these, in this order?" without a scan and without
// writing a name in the clear. A record's full name and other name are
// folded (registry.FoldName: no diacritics, đ as d, lower case) and split
// into words; every prefix of two or more letters of every word is a
// token. The index holds, per token, a posting list: one entry per name
// that has a word with that prefix, saying at which word positions the
// token is a prefix and where it is the whole word, how many words the
// name has, and the record's date of birth. So a search ranks and counts
// its matches from the lists alone, and decrypts only the records it
// shows.
//
// What the file shows: the keys are keyed hashes of tokens (HMAC, like
// every index key), and each list is sealed (AES-GCM, bound to its key),
// so neither a name nor which records share one can be read; what remains
// visible is how many tokens there are and how long each list is, as the
// old whole-name index showed how many records shared each hashed name.
// A list is split into 64 shards by the first six bits of its entries'
// record references, so a delta that adds a newcomer rewrites a
// sixty-fourth of a common token's list, not all of it.

// Posting entries are fixed-size, sorted by record reference, then flags.
const (
	refSize   = 8 // the first bytes of the record's key h(ID)
	entrySize = refSize + 1 + 4 + 2 + 2
	// maxWords is how many words of a name are indexed (masks are 16 bits).
	maxWords = 16
	// minToken is the shortest prefix indexed: one letter would put most of
	// the commune in one list.
	minToken = 2
	// shardBits is how many leading bits of a reference name its shard of
	// a token's list: 64 shards.
	shardBits = 6
)

// posting is one entry of a token's list.
type posting struct {
	ref   uint64 // the record's reference, big-endian
	flags uint8  // bit 0: the other name; bits 1-5: the name's word count
	year  uint16
	month uint8
	day   uint8
	pmask uint16 // word positions the token is a prefix of
	emask uint16 // word positions the token is
}

func (p *posting) other() bool { return p.flags&1 == 1 }
func (p *posting) words() int  { return int(p.flags >> 1) }

func (p *posting) append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, p.ref)
	b = append(b, p.flags)
	b = binary.BigEndian.AppendUint16(b, p.year)
	b = append(b, p.month, p.day)
	b = binary.BigEndian.AppendUint16(b, p.pmask)
	return binary.BigEndian.AppendUint16(b, p.emask)
}

func decodePosting(b []byte) posting {
	var p posting
	p.ref = binary.BigEndian.Uint64(b)
	p.flags = b[refSize]
	p.year = binary.BigEndian.Uint16(b[refSize+1:])
	p.month, p.day = b[refSize+3], b[refSize+4]
	p.pmask = binary.BigEndian.Uint16(b[refSize+5:])
	p.emask = binary.BigEndian.Uint16(b[refSize+7:])
	return p
}

// order sorts postings by reference, then by flags (one name of a
// record per flags value).
func (p *posting) order(q *posting) int {
	switch {
	case p.ref < q.ref:
		return -1
	case p.ref > q.ref:
		return 1
	}
	return int(p.flags) - int(q.flags)
}

// id is what names a posting within a list: record and name.
func (p *posting) id() sortKey { return sortKey{p.ref, p.flags} }

// nameWords splits a folded name into its words: runs of letters and
// digits, at most maxWords.
func nameWords(folded string) []string {
	words := strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return words[:min(len(words), maxWords)]
}

// prefixes calls fn with every token of word: its prefixes of at least
// minToken letters, the word itself last.
func prefixes(word string, fn func(token string, whole bool)) {
	n := 0
	for i := range word {
		if n >= minToken {
			fn(word[:i], false)
		}
		n++
	}
	if n >= minToken {
		fn(word, true)
	}
}

// namePostings calls fn with every token of the record's names and the
// record's entry in that token's list. ref is the record's reference. It
// runs for every record of a full import, so it keeps a name's tokens in
// a small array rather than a map.
func namePostings(c *registry.Citizen, ref []byte, fn func(token string, p posting)) {
	born := c.BirthDate()
	full := registry.FoldName(c.Get(registry.FieldFullName))
	other := registry.FoldName(c.Get(registry.FieldOtherName))
	type tokenPosting struct {
		token string
		p     posting
	}
	var arr [32]tokenPosting
	for i, folded := range [2]string{full, other} {
		if folded == "" || (i == 1 && folded == full) {
			continue
		}
		words := nameWords(folded)
		toks := arr[:0]
		proto := posting{flags: uint8(i) | uint8(len(words))<<1, year: uint16(born.Year),
			month: uint8(born.Month), day: uint8(born.Day)}
		proto.ref = binary.BigEndian.Uint64(ref)
		for pos, w := range words {
			prefixes(w, func(token string, whole bool) {
				at := -1
				for k := range toks {
					if toks[k].token == token {
						at = k
						break
					}
				}
				if at < 0 {
					toks = append(toks, tokenPosting{token, proto})
					at = len(toks) - 1
				}
				toks[at].p.pmask |= 1 << pos
				if whole {
					toks[at].p.emask |= 1 << pos
				}
			})
		}
		for k := range toks {
			fn(toks[k].token, toks[k].p)
		}
	}
}

// shardOf is the shard of a token's list a reference belongs to.
func shardOf(ref uint64) byte { return byte(ref >> (64 - shardBits)) }

// tokenKey is the index key of one shard of token's list.
func (s *Store) tokenKey(token string, shard byte) []byte {
	return append(s.keys.hash("tok", token), shard)
}

// tokenLists gathers the postings of many records, for a full import, a
// rekey, a migration or a check. Not safe for concurrent use.
type tokenLists struct {
	lists map[string][]posting
}

func newTokenLists() *tokenLists { return &tokenLists{lists: make(map[string][]posting, 4096)} }

func (tl *tokenLists) add(c *registry.Citizen, k []byte) {
	namePostings(c, k, func(token string, p posting) { tl.lists[token] = append(tl.lists[token], p) })
}

// rows returns the sealed shards, sorted by key. Two goroutines share the
// tokens, each sorting, encoding and sealing its lists: that is most of
// an import's work on the index.
func (tl *tokenLists) rows(s *Store) []row {
	tokens := make([]string, 0, len(tl.lists))
	for t := range tl.lists {
		tokens = append(tokens, t)
	}
	var parts [2][]row
	var wg sync.WaitGroup
	for half := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := half; i < len(tokens); i += len(parts) {
				parts[half] = tl.appendRows(s, parts[half], tokens[i])
			}
		}()
	}
	wg.Wait()
	out := append(parts[0], parts[1]...)
	slices.SortFunc(out, func(a, b row) int { return bytes.Compare(a.k, b.k) })
	return out
}

// appendRows sorts token's list and appends its sealed shards to out.
func (tl *tokenLists) appendRows(s *Store, out []row, token string) []row {
	list := tl.lists[token]
	slices.SortFunc(list, func(a, b posting) int { return a.order(&b) })
	base := s.keys.hash("tok", token)
	for start := 0; start < len(list); {
		shard := shardOf(list[start].ref)
		end := start
		for end < len(list) && shardOf(list[end].ref) == shard {
			end++
		}
		buf := make([]byte, 0, (end-start)*entrySize)
		for i := start; i < end; i++ {
			buf = list[i].append(buf)
		}
		k := append(bytes.Clone(base), shard)
		out = append(out, row{k, s.keys.seal(bTokens, k, buf)})
		start = end
	}
	return out
}

// tokenEdits are the changes a delta makes to token lists: per token, the
// record references whose entries go, and the entries that come.
type tokenEdits map[string]*tokenEdit

type tokenEdit struct {
	drop []sortKey
	add  []posting
}

func (te tokenEdits) edit(token string) *tokenEdit {
	e := te[token]
	if e == nil {
		e = &tokenEdit{}
		te[token] = e
	}
	return e
}

// change notes that a record's postings go from old to now (either nil).
// Entries present in both are left alone, so a change that leaves names
// and date of birth as they were edits no list.
func (te tokenEdits) change(oldC, newC *registry.Citizen, k []byte) {
	type keyed struct {
		token string
		p     posting
	}
	var before, after []keyed
	if oldC != nil {
		namePostings(oldC, k, func(t string, p posting) { before = append(before, keyed{t, p}) })
	}
	if newC != nil {
		namePostings(newC, k, func(t string, p posting) { after = append(after, keyed{t, p}) })
	}
	for _, b := range before {
		if !slices.Contains(after, b) {
			te.edit(b.token).drop = append(te.edit(b.token).drop, b.p.id())
		}
	}
	for _, a := range after {
		if !slices.Contains(before, a) {
			te.edit(a.token).add = append(te.edit(a.token).add, a.p)
		}
	}
}

// apply rewrites the shards the edits touch, within tx.
func (te tokenEdits) apply(s *Store, tx *bolt.Tx) error {
	b := tx.Bucket(bTokens)
	for token, e := range te {
		byShard := map[byte]*tokenEdit{}
		part := func(ref uint64) *tokenEdit {
			sh := shardOf(ref)
			if byShard[sh] == nil {
				byShard[sh] = &tokenEdit{}
			}
			return byShard[sh]
		}
		for _, d := range e.drop {
			part(d.ref).drop = append(part(d.ref).drop, d)
		}
		for _, p := range e.add {
			part(p.ref).add = append(part(p.ref).add, p)
		}
		for shard, pe := range byShard {
			k := s.tokenKey(token, shard)
			var list []posting
			if v := b.Get(k); v != nil {
				plain, err := s.keys.open(bTokens, k, v)
				if err != nil {
					return err
				}
				for i := 0; i+entrySize <= len(plain); i += entrySize {
					p := decodePosting(plain[i:])
					if !slices.Contains(pe.drop, p.id()) {
						list = append(list, p)
					}
				}
			}
			list = append(list, pe.add...)
			if len(list) == 0 {
				if err := b.Delete(k); err != nil {
					return err
				}
				continue
			}
			slices.SortFunc(list, func(a, b posting) int { return a.order(&b) })
			buf := make([]byte, 0, len(list)*entrySize)
			for i := range list {
				buf = list[i].append(buf)
			}
			if err := b.Put(k, s.keys.seal(bTokens, k, buf)); err != nil {
				return err
			}
		}
	}
	return nil
}

// list reads every shard of token's list, in reference order, as raw
// entries, into a buffer of listBufs (give it back with putListBuf): a
// common word's list is hundreds of kilobytes, which a search should not
// leave to the garbage collector.
func (s *Store) list(tx *bolt.Tx, token string) ([]byte, error) {
	base := s.keys.hash("tok", token)
	out := listBufs.Get().(*[]byte)
	buf := (*out)[:0]
	cur := tx.Bucket(bTokens).Cursor()
	for k, v := cur.Seek(base); k != nil && bytes.HasPrefix(k, base); k, v = cur.Next() {
		var err error
		if buf, err = s.keys.openAppend(buf, bTokens, k, v); err != nil {
			putListBuf(buf)
			return nil, err
		}
	}
	return buf, nil
}

var listBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func putListBuf(b []byte) {
	if cap(b) <= 4<<20 {
		listBufs.Put(&b)
	}
}

// rebuildTokens replaces the token index with one built from the records
// held: what a store of an older format, which had a whole-name index,
// gets when it is opened.
func (s *Store) rebuildTokens(tx *bolt.Tx) error {
	if tx.Bucket(bTokens) != nil {
		if err := tx.DeleteBucket(bTokens); err != nil {
			return err
		}
	}
	b, err := tx.CreateBucket(bTokens)
	if err != nil {
		return err
	}
	tl := newTokenLists()
	err = tx.Bucket(bSubset).ForEach(func(k, v []byte) error {
		c, _, err := s.record(k, v)
		if err != nil {
			return err
		}
		tl.add(c, k)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range tl.rows(s) {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

// queryWords are the words of a folded query that the index can answer:
// at least minToken letters; shorter ones are left out.
func queryWords(folded string) []string {
	var out []string
	for _, w := range nameWords(folded) {
		if utf8.RuneCountInString(w) >= minToken {
			out = append(out, w)
		}
	}
	return out
}

// indexTokens converts a format-2 store: the whole-name index goes, the
// token index is built from the records.
func (s *Store) indexTokens(tx *bolt.Tx) error {
	if err := dropNames(tx); err != nil {
		return err
	}
	if err := s.rebuildTokens(tx); err != nil {
		return err
	}
	return tx.Bucket(bMeta).Put(kFormat, u64(storeFormat))
}

func dropNames(tx *bolt.Tx) error {
	if tx.Bucket(bNames) == nil {
		return nil
	}
	return tx.DeleteBucket(bNames)
}

// verifyTokens checks that the token index holds exactly the lists tl
// built from the records (the sealed bytes differ; the plain lists may
// not).
func (s *Store) verifyTokens(tx *bolt.Tx, tl *tokenLists) error {
	want := map[string][]byte{}
	for _, r := range tl.rows(s) {
		plain, err := s.keys.open(bTokens, r.k, r.v)
		if err != nil {
			return err
		}
		want[string(r.k)] = plain
	}
	got := 0
	err := tx.Bucket(bTokens).ForEach(func(k, v []byte) error {
		plain, err := s.keys.open(bTokens, k, v)
		if err != nil {
			return err
		}
		if w, ok := want[string(k)]; !ok || !bytes.Equal(w, plain) {
			return fmt.Errorf("%w: %s list %x is not the one the records give", ErrCorrupt, bTokens, k)
		}
		got++
		return nil
	})
	if err != nil {
		return err
	}
	if got != len(want) {
		return fmt.Errorf("%w: %s holds %d lists, the records need %d", ErrCorrupt, bTokens, got, len(want))
	}
	return nil
}
