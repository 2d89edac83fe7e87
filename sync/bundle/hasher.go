package bundle

import "github.com/xanode/xanode/sync/digest"

// batchSize is how many records a hasher batch carries: large enough that
// channel hand-offs cost nothing next to hashing, small enough to keep both
// goroutines busy.
const batchSize = 512

// hasher computes a subset digest on a goroutine of its own. The digest is
// the largest cost of building and of opening a bundle (a few µs per
// record), and it is order-independent, so it can run beside compression or
// decoding on the second core.
//
// One goroutine owns a hasher: it takes batches with next, fills them,
// hands them over with send, and ends with finish (which waits for the
// hashing goroutine) or, on an error path, stop.
type hasher struct {
	work    chan *batch
	free    chan *batch
	done    chan struct{}
	sum     digest.Hash // written by the hashing goroutine until done closes
	stopped bool
}

// batch is a run of records: their IDs, and their encodings back to back
// in raw, record i ending at ends[i]. Build appends to raw (recycled
// batches keep its capacity); Open points raw into the bundle's payload and
// never appends to it.
type batch struct {
	ids  []string
	ends []int
	raw  []byte
}

func (b *batch) add(id string, end int) {
	b.ids = append(b.ids, id)
	b.ends = append(b.ends, end)
}

func (b *batch) full() bool { return len(b.ids) >= batchSize }

func (b *batch) reset() { b.ids, b.ends, b.raw = b.ids[:0], b.ends[:0], b.raw[:0] }

func newBatch() *batch {
	return &batch{ids: make([]string, 0, batchSize), ends: make([]int, 0, batchSize)}
}

func newHasher() *hasher {
	h := &hasher{work: make(chan *batch, 2), free: make(chan *batch, 4), done: make(chan struct{})}
	go h.run()
	return h
}

func (h *hasher) run() {
	defer close(h.done)
	for b := range h.work {
		start := 0
		for i, id := range b.ids {
			h.sum.Add([]byte(id), b.raw[start:b.ends[i]])
			start = b.ends[i]
		}
		b.reset()
		select {
		case h.free <- b:
		default:
		}
	}
}

// next returns an empty batch, recycled when one is free.
func (h *hasher) next() *batch {
	select {
	case b := <-h.free:
		return b
	default:
		return newBatch()
	}
}

// send hands b over; the caller must not touch b afterwards.
func (h *hasher) send(b *batch) {
	if len(b.ids) > 0 {
		h.work <- b
	}
}

// finish waits for every batch sent to be hashed and returns the digest
// state.
func (h *hasher) finish() digest.Hash {
	h.stop()
	return h.sum
}

// stop ends the hashing goroutine and waits for it; safe to call twice.
func (h *hasher) stop() {
	if !h.stopped {
		h.stopped = true
		close(h.work)
	}
	<-h.done
}
