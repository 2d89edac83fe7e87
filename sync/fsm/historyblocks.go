package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// History blocks (feature level 3; DESIGN.md, "Conflict resolution":
// feature levels). Up to level 2 every history entry was a key of its
// own in bHistory and every link of a citizen's chain a key of bHistPrev:
// two B+tree puts a change, a fifth of a replica's apply. From the entry
// that raises the level to 3 on, the history entries one log entry
// records are one value of bHistBlocks, keyed by the first entry's
// sequence number, each entry carrying the link to the citizen's entry
// before it:
//
//	block = { prev(8) length(4) entry }…
//
// prev is the sequence number of the citizen's entry before (0: none),
// length the entry's size and entry the change followed by its outcome,
// as bHistory holds them; the entries' sequence numbers follow the key one
// by one. A block is per log entry, not per batch, so every replica stores
// the same blocks however raft hands it the log. The blocks are not digest
// elements: the history chain (chain.go), which level 3 implies, covers
// every entry, and Verify recomputes it.
//
// The outcome a change is decided is the tail of its history entry; from
// level 3 it is not stored a second time, and runs (runs.go) find a
// change's entry.
var bHistBlocks = []byte("history_blocks") // first seq(8) → block

// blockHead is an entry's fixed part in a block: prev(8) length(4).
const blockHead = 8 + 4

// maxBlockEntry bounds an entry's length in a block (a change of the
// longest note and patch is a few tens of kilobytes).
const maxBlockEntry = 1 << 24

// histBlock is the block the log entry being applied builds.
type histBlock struct {
	first uint64 // sequence number of its first entry
	n     uint64 // entries in it
	buf   []byte
	// size is the last block's size, which the next one's buffer starts
	// at: growing it by doubling allocated twice what it kept.
	size int
}

// begin starts the entry with sequence number seq, linked to prev (nil:
// none), and returns where its bytes start in buf; the caller appends the
// entry to buf and calls end.
func (b *histBlock) begin(seq uint64, prev []byte) int {
	if b.n == 0 {
		b.first = seq
		if b.buf == nil {
			b.buf = make([]byte, 0, max(4<<10, b.size+b.size/8))
		}
	} else if seq != b.first+b.n {
		panic(fmt.Sprintf("fsm: history entry %d in the block of %d after %d entries", seq, b.first, b.n))
	}
	var p uint64
	if len(prev) == 8 {
		p = binary.BigEndian.Uint64(prev)
	}
	b.buf = binary.BigEndian.AppendUint64(b.buf, p)
	b.buf = append(b.buf, 0, 0, 0, 0) // the length, set by end
	return len(b.buf)
}

// end closes the entry begun at start and returns its bytes.
func (b *histBlock) end(start int) []byte {
	n := len(b.buf) - start
	if n >= maxBlockEntry {
		panic(fmt.Sprintf("fsm: history entry of %d bytes", n))
	}
	binary.BigEndian.PutUint32(b.buf[start-4:], uint32(n))
	b.n++
	return b.buf[start:len(b.buf):len(b.buf)]
}

// flushBlock stores the block of the log entry just applied, and its runs.
// bbolt keeps the value until the commit, so the next block starts in a
// new buffer.
func (t *txn) flushBlock() {
	if t.block.n == 0 {
		return
	}
	t.flushRuns()
	b := t.tx.Bucket(bHistBlocks)
	b.FillPercent = 1.0 // keys only grow
	if err := b.Put(u64(t.block.first), t.block.buf); err != nil {
		panic(fmt.Sprintf("fsm: bbolt history block: %v", err))
	}
	t.block = histBlock{size: len(t.block.buf)}
}

// entry returns the block's entry seq (nil when the block does not hold
// it).
func (b *histBlock) entry(seq uint64) []byte {
	if b.n == 0 || seq < b.first || seq >= b.first+b.n {
		return nil
	}
	var out []byte
	eachInBlock(u64(b.first), b.buf, func(s, _ uint64, e []byte) bool {
		if s == seq {
			out = e
		}
		return s < seq
	})
	return out
}

// errBlock is a block that does not parse: the file was altered or broken.
var errBlock = errors.New("fsm: malformed history block")

// eachInBlock calls fn for every entry of the block stored under key, in
// order, until fn returns false.
func eachInBlock(key, v []byte, fn func(seq, prev uint64, entry []byte) bool) error {
	if len(key) != 8 {
		return fmt.Errorf("%w: key %x", errBlock, key)
	}
	seq := binary.BigEndian.Uint64(key)
	for len(v) > 0 {
		if len(v) < blockHead {
			return fmt.Errorf("%w %d: %d bytes left", errBlock, seq, len(v))
		}
		prev, n := binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:])
		v = v[blockHead:]
		if uint64(n) > uint64(len(v)) || n == 0 {
			return fmt.Errorf("%w: entry %d of %d bytes, %d left", errBlock, seq, n, len(v))
		}
		if !fn(seq, prev, v[:n:n]) {
			return nil
		}
		v, seq = v[n:], seq+1
	}
	return nil
}

// historyEntry returns history entry seq (the change and its outcome) and
// the sequence number of the entry before it about the same citizen (0:
// none), from bHistory and bHistPrev below level 3 and the blocks from it.
func historyEntry(tx *bolt.Tx, seq uint64) (entry []byte, prev uint64, err error) {
	key := u64(seq)
	if v := tx.Bucket(bHistory).Get(key); v != nil {
		if p := tx.Bucket(bHistPrev).Get(key); len(p) == 8 {
			prev = binary.BigEndian.Uint64(p)
		}
		return v, prev, nil
	}
	c := tx.Bucket(bHistBlocks).Cursor()
	k, v := c.Seek(key)
	if k == nil || binary.BigEndian.Uint64(k) > seq {
		k, v = c.Prev()
	}
	if k != nil {
		err = eachInBlock(k, v, func(s, p uint64, e []byte) bool {
			if s == seq {
				entry, prev = e, p
			}
			return s < seq
		})
	}
	if err == nil && entry == nil {
		err = fmt.Errorf("fsm: no history entry %d", seq)
	}
	return entry, prev, err
}

// historyBack calls fn for every history entry, newest first, until fn
// returns false: the blocks', then those of bHistory.
func historyBack(tx *bolt.Tx, fn func(seq uint64, entry []byte) (bool, error)) error {
	type at struct {
		seq   uint64
		entry []byte
	}
	var entries []at
	c := tx.Bucket(bHistBlocks).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		entries = entries[:0]
		if err := eachInBlock(k, v, func(s, _ uint64, e []byte) bool {
			entries = append(entries, at{s, e})
			return true
		}); err != nil {
			return err
		}
		for i := len(entries) - 1; i >= 0; i-- {
			if more, err := fn(entries[i].seq, entries[i].entry); !more || err != nil {
				return err
			}
		}
	}
	h := tx.Bucket(bHistory).Cursor()
	for k, v := h.Last(); k != nil; k, v = h.Prev() {
		if len(k) != 8 {
			return fmt.Errorf("fsm: history key %x", k)
		}
		if more, err := fn(binary.BigEndian.Uint64(k), v); !more || err != nil {
			return err
		}
	}
	return nil
}
