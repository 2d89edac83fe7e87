// Package gen makes a synthetic population for one commune of TP Cần Thơ:
// households of citizens with realistic Vietnamese names (NFC, with
// diacritics), valid and unique personal IDs, plausible ages and family
// links, addresses, cards and old ID numbers. It feeds tests, the demo and
// the benchmarks, which need data that looks like the registry's without
// being anyone's.
//
// Generation is deterministic: the same Options give the same records, byte
// for byte, on every machine and Go release (the generator draws from a PCG
// source through its own helpers, never math/rand's distribution code), so
// a population file in testdata can always be re-made by its command.
// Generate streams: a 4M-citizen population never sits in memory.
//
// The population file format is JSON Lines, one Citizen per line in the
// shape of registry.Citizen.MarshalJSON (WriteJSONL, ReadJSONL).
package gen

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"

	"github.com/xanode/xanode/node/registry"
)

// Limits and defaults of Options.
const (
	DefaultYear = 2026
	// MaxCitizens keeps every cohort within the serial range a commune owns
	// (see personalID): about 45,000 people of one sex and birth year.
	MaxCitizens = 5_000_000
	minYear     = 2000 // the oldest generated (about 100) must be born after 1900
	maxYear     = 2300
)

// ErrOptions is returned for Options that cannot be generated.
var ErrOptions = errors.New("invalid generator options")

// Options say what to generate.
type Options struct {
	Commune  string // code from Communes; required
	Citizens int    // number of records, 1..MaxCitizens
	Seed     int64  // same seed, same population; 0 is a seed like any other
	Year     int    // reference year (ages, card dates): the population as of 30 June; 0 means DefaultYear
}

// Validate checks the options and names what is wrong.
func (o Options) Validate() error {
	if _, err := lookupCommune(o.Commune); err != nil {
		return err
	}
	if o.Citizens < 1 || o.Citizens > MaxCitizens {
		return fmt.Errorf("%w: citizens must be 1..%d, got %d", ErrOptions, MaxCitizens, o.Citizens)
	}
	if y := o.year(); y < minYear || y > maxYear {
		return fmt.Errorf("%w: year must be %d..%d, got %d", ErrOptions, minYear, maxYear, y)
	}
	return nil
}

func (o Options) year() int {
	if o.Year == 0 {
		return DefaultYear
	}
	return o.Year
}

// Generate makes the population household by household and passes each
// citizen to emit, heads first within a household. emit may keep the
// citizen: Generate never touches it again. An error from emit stops
// generation and is returned as is.
func Generate(opts Options, emit func(*registry.Citizen) error) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	g := newGenerator(opts)
	for left := opts.Citizens; left > 0; {
		cs, err := g.household(left)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := emit(c); err != nil {
				return err
			}
		}
		left -= len(cs)
	}
	return nil
}

// Citizens generates the whole population into memory; for large ones use
// Generate.
func Citizens(opts Options) ([]*registry.Citizen, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	out := make([]*registry.Citizen, 0, opts.Citizens)
	err := Generate(opts, func(c *registry.Citizen) error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// rng draws from a PCG source. The helpers below, not math/rand's, turn its
// output into numbers: their arithmetic is fixed here, which is what keeps
// generated files identical across Go releases.
type rng struct{ src *rand.PCG }

func newRNG(seed int64, commune string) *rng {
	h := fnv.New64a()
	h.Write([]byte(commune)) // same seed, different communes: different people
	return &rng{rand.NewPCG(uint64(seed), h.Sum64())}
}

// intn returns 0..n-1 (n > 0), by the multiply-high method; its bias of at
// most n/2^64 does not matter here.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// between returns lo..hi inclusive.
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// Serial numbers: the city assigns newborns' IDs from a pool it controls
// (DESIGN.md, "Domain model"), configured as a range of the last six digits. The
// generator leaves 900000–999999 free for that pool and splits the rest
// between communes, so populations generated separately and imported into
// one city never collide.
const (
	birthPoolStart = 900_000
	slotSize       = birthPoolStart / communeSlots
	// serialStride is coprime with slotSize: (n+1)*stride mod slotSize for
	// n = 0, 1, … visits every serial of the slot once, in an order that
	// does not look counted.
	serialStride = 7919
	// Old 9-digit ID numbers (CMND) issued in Cần Thơ began with 36; the
	// seven digits after it are split between communes the same way.
	oldIDPrefix   = "36"
	oldIDSlotSize = 10_000_000 / communeSlots
)

type cohort struct {
	province string
	year     int
	female   bool
}

// generator holds the state of one Generate call.
type generator struct {
	r       *rng
	commune *Commune
	year    int
	ref     registry.Date // 30 June of the reference year

	households int
	serials    map[cohort]int // IDs issued so far per cohort
	oldIDs     int
}

func newGenerator(opts Options) *generator {
	c, _ := lookupCommune(opts.Commune) // Validate has checked it
	y := opts.year()
	return &generator{
		r:       newRNG(opts.Seed, opts.Commune),
		commune: c,
		year:    y,
		ref:     registry.Date{Year: y, Month: 6, Day: 30},
		serials: make(map[cohort]int),
	}
}

// personalID issues the next unused ID of a cohort in this commune's slot.
func (g *generator) personalID(province string, year int, female bool) (string, error) {
	k := cohort{province, year, female}
	n := g.serials[k]
	if n >= slotSize {
		return "", fmt.Errorf("commune %s: more than %d people of one sex born in %d in province %s; generate fewer citizens",
			g.commune.Code, slotSize, year, province)
	}
	g.serials[k] = n + 1
	serial := g.commune.slot*slotSize + (n+1)*serialStride%slotSize
	return registry.MakeID(province, year, female, serial), nil
}

// oldID issues an unused 9-digit ID, or "" once the commune's range is
// spent (only populations far beyond a real commune's reach it).
func (g *generator) oldID() string {
	if g.oldIDs >= oldIDSlotSize {
		return ""
	}
	n := g.commune.slot*oldIDSlotSize + (g.oldIDs+1)*serialStride%oldIDSlotSize
	g.oldIDs++
	return fmt.Sprintf("%s%07d", oldIDPrefix, n)
}
