package digest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

type record struct{ key, value string }

func records(n int) []record {
	rs := make([]record, n)
	for i := range rs {
		rs[i] = record{fmt.Sprintf("%012d", i), fmt.Sprintf("value of record %d", i)}
	}
	return rs
}

func hashOf(rs []record) *Hash {
	h := New()
	for _, r := range rs {
		h.Add([]byte(r.key), []byte(r.value))
	}
	return h
}

func TestOrderIndependence(t *testing.T) {
	rs := records(50)
	want := hashOf(rs).Sum()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]record(nil), rs...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := hashOf(shuffled).Sum(); got != want {
			t.Fatalf("shuffle %d: sum %x, want %x", i, got, want)
		}
	}
}

func TestAddRemove(t *testing.T) {
	tests := []struct {
		name   string
		base   []record
		change func(h *Hash)
	}{
		{"empty set", nil, func(h *Hash) { h.Add([]byte("k"), []byte("v")); h.Remove([]byte("k"), []byte("v")) }},
		{"one of many", records(10), func(h *Hash) { h.Add([]byte("x"), []byte("y")); h.Remove([]byte("x"), []byte("y")) }},
		{"remove then re-add", records(10), func(h *Hash) {
			h.Remove([]byte("000000000003"), []byte("value of record 3"))
			h.Add([]byte("000000000003"), []byte("value of record 3"))
		}},
		{"replace and back", records(10), func(h *Hash) {
			h.Replace([]byte("000000000004"), []byte("value of record 4"), []byte("new"))
			h.Replace([]byte("000000000004"), []byte("new"), []byte("value of record 4"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hashOf(tt.base)
			want := h.Sum()
			tt.change(h)
			if got := h.Sum(); got != want {
				t.Fatalf("sum %x, want %x", got, want)
			}
		})
	}
	if zero := new(Hash).Sum(); zero != New().Sum() {
		t.Fatal("zero Hash differs from New()")
	}
}

func TestDifferentSetsDiffer(t *testing.T) {
	base := records(5)
	sets := map[string][]record{
		"empty":              nil,
		"base":               base,
		"one more":           append(append([]record(nil), base...), record{"x", "y"}),
		"one less":           base[1:],
		"value changed":      append([]record{{base[0].key, base[0].value + "!"}}, base[1:]...),
		"key changed":        append([]record{{base[0].key + "!", base[0].value}}, base[1:]...),
		"split moved":        append([]record{{base[0].key + "v", base[0].value[1:]}}, base[1:]...),
		"element twice":      append(append([]record(nil), base...), base[0]),
		"empty key":          {{"", "ab"}},
		"empty value":        {{"ab", ""}},
		"empty key and val":  {{"", ""}},
		"two empty elements": {{"", ""}, {"", ""}},
	}
	seen := map[[32]byte]string{}
	for name, rs := range sets {
		s := hashOf(rs).Sum()
		if other, ok := seen[s]; ok {
			t.Errorf("%q and %q have the same sum", name, other)
		}
		seen[s] = name
	}
}

func TestMerge(t *testing.T) {
	rs := records(20)
	a, b := hashOf(rs[:8]), hashOf(rs[8:])
	a.Merge(b)
	if !a.Equal(hashOf(rs)) {
		t.Fatal("merge of disjoint halves differs from the whole")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	h := hashOf(records(30))
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g Hash
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if g.Sum() != h.Sum() {
		t.Fatal("sum changed by the round trip")
	}
	// The restored state keeps working incrementally.
	g.Remove([]byte("000000000000"), []byte("value of record 0"))
	if g.Sum() != hashOf(records(30)[1:]).Sum() {
		t.Fatal("restored state does not update like the original")
	}

	bad := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", b[:len(b)-1]},
		{"long", append(append([]byte(nil), b...), 0)},
		{"format", append([]byte{9}, b[1:]...)},
	}
	for _, tt := range bad {
		if err := new(Hash).UnmarshalBinary(tt.b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want ErrFormat", tt.name, err)
		}
	}
}

// TestElementEncoding pins the documented element encoding, so that a
// refactoring cannot silently change every digest in the field.
func TestElementEncoding(t *testing.T) {
	key, value := []byte("001195012345"), []byte("Nguyễn Thị Thu Hà")
	msg := binary.AppendUvarint(nil, uint64(len(key)))
	msg = append(msg, key...)
	msg = binary.AppendUvarint(msg, uint64(len(value)))
	msg = append(msg, value...)
	seed := sha256.Sum256(append([]byte("xanode/sync/digest v2"), msg...))
	block, _ := aes.NewCipher(seed[:])
	want := make([]byte, stateSize)
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(want, want)

	// Twice, so that the second call runs on a recycled state.
	for range 2 {
		var got [stateSize]byte
		expand(&got, key, value)
		if !bytes.Equal(got[:], want) {
			t.Fatal("expansion differs from the documented SHA-256 + AES-256-CTR encoding")
		}
	}
	h := New()
	h.Add(key, value)
	b, _ := h.MarshalBinary()
	if !bytes.Equal(b[1:], want) {
		t.Fatal("one element's state is not its expansion")
	}
}

func BenchmarkAdd(b *testing.B) {
	for _, size := range []int{32, 300, 1000} {
		b.Run(fmt.Sprintf("value=%dB", size), func(b *testing.B) {
			key, value := []byte("001195012345"), bytes.Repeat([]byte("x"), size)
			h := New()
			b.ReportAllocs()
			for b.Loop() {
				h.Add(key, value)
			}
		})
	}
}

func BenchmarkSum(b *testing.B) {
	h := hashOf(records(10))
	for b.Loop() {
		h.Sum()
	}
}

// TestSWARMatchesLanes checks the four-lanes-per-word arithmetic against
// plain 16-bit lane sums, including carries out of every lane.
func TestSWARMatchesLanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		a, b := rng.Uint64(), rng.Uint64()
		if i%10 == 0 {
			a |= hi // every lane at the edge of overflow
		}
		sum, diff := add16(a, b), sub16(a, b)
		for j := 0; j < 4; j++ {
			la, lb := uint16(a>>(16*j)), uint16(b>>(16*j))
			if uint16(sum>>(16*j)) != la+lb || uint16(diff>>(16*j)) != la-lb {
				t.Fatalf("lane %d of %x ± %x", j, a, b)
			}
		}
	}
}

// TestKnownAnswer pins the digest of a few elements: digests are stored in
// every city node's state and compared between replicas and releases, so
// no change to how it is computed may change a value.
func TestKnownAnswer(t *testing.T) {
	h := New()
	h.Add([]byte("citizens\x00092090001234"), []byte("Nguyễn Văn An"))
	h.Add([]byte("history\x00\x00\x00\x01"), []byte("x"))
	h.Remove([]byte("history\x00\x00\x00\x01"), []byte("x"))
	h.Add([]byte(""), []byte(""))
	if got := fmt.Sprintf("%x", h.Sum()); got != "0d19cfe556b47f5ada5c9131bcacdd0c5869685e6cd10a947a6fb63165b940a9" {
		t.Fatalf("digest %s", got)
	}
}
