package quality

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sort"
	gosync "sync"

	"github.com/xanode/xanode/node/registry"
)

// Population is a set of records held in memory for a full pass of the
// rules (`xanode bench quality`, tests): each record in its compact
// canonical encoding, with sorted arrays for the groups the rules look at
// — households, duplicate blocks, parents' children — rather than maps of
// slices, so that a million records fit in a few hundred megabytes. Add
// every record and read, then Seal; after that it is read-only and safe
// for concurrent readers.
type Population struct {
	k         *Checker
	ids       map[string]int32
	idOf      []string
	names     []string // NameKey of each record: pairs are screened by it before decoding
	recs      [][]byte
	confirmed map[string]registry.Date
	reads     []Read

	households, blocks, children []entry // sorted by key hash, then record
	sealed                       bool
}

// entry puts a record (by position) under a group key, by its hash: two
// keys that hash alike share a group, which costs a few extra comparisons
// and changes no answer (households are told apart by their code).
type entry struct {
	key uint64
	rec int32
}

var seed = maphash.MakeSeed()

func hashKey(s string) uint64 { return maphash.String(seed, s) }

// NewPopulation returns an empty population checked by k.
func NewPopulation(k *Checker) *Population {
	return &Population{k: k, ids: make(map[string]int32), confirmed: make(map[string]registry.Date)}
}

// Add stores a record; a second record with the same ID is an error.
func (p *Population) Add(c *registry.Citizen) error {
	if p.sealed {
		return fmt.Errorf("quality: population sealed")
	}
	if _, dup := p.ids[c.ID]; dup {
		return fmt.Errorf("quality: citizen %s twice in the population", c.ID)
	}
	i := int32(len(p.recs))
	p.ids[c.ID] = i
	p.idOf = append(p.idOf, c.ID)
	p.names = append(p.names, NameKey(c))
	p.recs = append(p.recs, registry.AppendCitizen(nil, c, false))
	if hh := c.Get(registry.FieldHousehold); hh != "" {
		p.households = append(p.households, entry{hashKey(hh), i})
	}
	for _, k := range BlockKeys(c) {
		p.blocks = append(p.blocks, entry{hashKey(k), i})
	}
	for _, f := range []registry.Field{registry.FieldFatherID, registry.FieldMotherID} {
		if id := c.Get(f); id != "" {
			p.children = append(p.children, entry{hashKey(id), i})
		}
	}
	return nil
}

// Confirm notes a confirmation of the citizen in person (a chip read or a
// procedure) on day d; the latest counts.
func (p *Population) Confirm(id string, d registry.Date) {
	if old, ok := p.confirmed[id]; !ok || latest(d).After(latest(old)) {
		p.confirmed[id] = d
	}
}

// AddRead adds a chip read whose differences the pass checks.
func (p *Population) AddRead(r Read) { p.reads = append(p.reads, r) }

// Seal sorts the groups; Check and Recheck need it.
func (p *Population) Seal() {
	for _, es := range []*[]entry{&p.households, &p.blocks, &p.children} {
		slices.SortFunc(*es, func(a, b entry) int {
			if a.key != b.key {
				if a.key < b.key {
					return -1
				}
				return 1
			}
			return int(a.rec - b.rec)
		})
	}
	p.sealed = true
}

// IDs lists the records' IDs in the order they were added; the slice is
// shared: do not modify it.
func (p *Population) IDs() []string { return p.idOf }

// Len is the number of records.
func (p *Population) Len() int { return len(p.recs) }

func (p *Population) record(i int32) *registry.Citizen {
	c, _, err := registry.DecodeCitizen(p.recs[i])
	if err != nil {
		panic(fmt.Sprintf("quality: record %d: %v", i, err)) // encoded by Add
	}
	return c
}

// Citizen implements Records.
func (p *Population) Citizen(id string) *registry.Citizen {
	i, ok := p.ids[id]
	if !ok {
		return nil
	}
	return p.record(i)
}

// Confirmed implements Records.
func (p *Population) Confirmed(id string) registry.Date { return p.confirmed[id] }

// group returns the records filed under key.
func group(es []entry, key string) []entry {
	h := hashKey(key)
	i := sort.Search(len(es), func(i int) bool { return es[i].key >= h })
	j := i
	for j < len(es) && es[j].key == h {
		j++
	}
	return es[i:j]
}

// Check runs every rule over the whole population as of asOf: the record
// rules on each record, the household rule on each household, the
// duplicate rule on each pair sharing a block, and every read. The work is
// split between GOMAXPROCS workers; findings come sorted by Key, the same
// whatever the split.
func (p *Population) Check(asOf registry.Date) []Finding {
	workers := max(1, runtime.GOMAXPROCS(0))
	households, blocks := runs(p.households), runs(p.blocks)
	parts := make([][]Finding, workers)
	var wg gosync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []Finding
			for i := w; i < len(p.recs); i += workers {
				out = append(out, p.k.Record(p.record(int32(i)), asOf, p)...)
			}
			for i := w; i < len(households); i += workers {
				out = append(out, p.householdFindings(households[i])...)
			}
			// A pair sharing blocks of two workers is scored twice; the
			// findings are the same and dedupe keeps one.
			seen := make(map[uint64]bool)
			for i := w; i < len(blocks); i += workers {
				if len(blocks[i]) <= p.k.cfg.MaxBlock {
					out = append(out, p.pairs(blocks[i], seen)...)
				}
			}
			for i := w; i < len(p.reads); i += workers {
				if c := p.Citizen(p.reads[i].Citizen); c != nil {
					out = append(out, p.k.Read(c, p.reads[i])...)
				}
			}
			parts[w] = out
		}()
	}
	wg.Wait()
	var out []Finding
	for _, part := range parts {
		out = append(out, part...)
	}
	SortFindings(out)
	return dedupe(out)
}

// runs splits sorted entries into groups of equal key.
func runs(es []entry) [][]entry {
	var out [][]entry
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].key == es[i].key {
			j++
		}
		out = append(out, es[i:j])
		i = j
	}
	return out
}

// householdFindings checks the households among a run of records filed under
// one hash.
func (p *Population) householdFindings(run []entry) []Finding {
	byCode := map[string][]*registry.Citizen{}
	var codes []string
	for _, e := range run {
		c := p.record(e.rec)
		code := c.Get(registry.FieldHousehold)
		if byCode[code] == nil {
			codes = append(codes, code)
		}
		byCode[code] = append(byCode[code], c)
	}
	var out []Finding
	for _, code := range codes {
		if f := p.k.Household(code, byCode[code]); f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// pairs compares every pair of one block not compared before.
func (p *Population) pairs(run []entry, seen map[uint64]bool) []Finding {
	cs := make([]*registry.Citizen, len(run))
	var out []Finding
	for i := range run {
		for j := i + 1; j < len(run); j++ {
			a, b := run[i].rec, run[j].rec
			if a == b {
				continue
			}
			if !NamesMayMatch(p.names[a], p.names[b]) {
				continue
			}
			k := uint64(min(a, b))<<32 | uint64(max(a, b))
			if seen[k] {
				continue
			}
			seen[k] = true
			if cs[i] == nil {
				cs[i] = p.record(a)
			}
			if cs[j] == nil {
				cs[j] = p.record(b)
			}
			if f := p.k.Pair(cs[i], cs[j]); f != nil {
				out = append(out, *f)
			}
		}
	}
	return out
}

// Recheck runs every rule whose answer a change of the records ids could
// move, and only those (what the city does per change): the record rules
// on each and on the children naming them as parents, the household rule
// on their households, the duplicate rule on each against its candidates.
// Findings come sorted by Key.
func (p *Population) Recheck(ids []string, asOf registry.Date) []Finding {
	var out []Finding
	households := map[string]bool{}
	for _, id := range ids {
		c := p.Citizen(id)
		if c == nil {
			continue
		}
		out = append(out, p.k.Record(c, asOf, p)...)
		for _, e := range group(p.children, id) {
			if ch := p.record(e.rec); ch.Get(registry.FieldFatherID) == id || ch.Get(registry.FieldMotherID) == id {
				out = append(out, p.k.Record(ch, asOf, p)...)
			}
		}
		if hh := c.Get(registry.FieldHousehold); hh != "" && !households[hh] {
			households[hh] = true
			var members []*registry.Citizen
			for _, e := range group(p.households, hh) {
				members = append(members, p.record(e.rec))
			}
			if f := p.k.Household(hh, members); f != nil {
				out = append(out, *f)
			}
		}
		for _, other := range p.k.Candidates(c, p.block) {
			if f := p.k.Pair(c, p.Citizen(other)); f != nil {
				out = append(out, *f)
			}
		}
	}
	SortFindings(out)
	return dedupe(out)
}

// block lists up to limit IDs filed under a block key.
func (p *Population) block(key string, limit int) []string {
	var out []string
	for _, e := range group(p.blocks, key) {
		if len(out) == limit {
			break
		}
		out = append(out, p.idOf[e.rec])
	}
	return out
}

// SortFindings orders findings by Key.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Key() < fs[j].Key() })
}

// dedupe drops findings whose Key repeats the one before (a record
// checked twice, as a changed record and as a child).
func dedupe(fs []Finding) []Finding {
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f.Key() == fs[i-1].Key() {
			continue
		}
		out = append(out, f)
	}
	return out
}
