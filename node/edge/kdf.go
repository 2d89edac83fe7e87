package edge

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// A password check is the one costly thing a visitor without an account
// can make the box do at will: Argon2id takes 64 MiB and a few hundred
// milliseconds of both cores per run. Thirty parallel wrong logins once
// took the box from 172 MB to 2 GB. So every password-based derivation of
// the process (officer logins, key slots unlocked by a password) goes
// through one Gate, KDF: at most two run at once, a short queue waits
// briefly for a turn, and the rest are refused at once with ErrBusy, which
// the UI answers with 503 and Retry-After. Memory stays bounded by the
// number of slots, whatever the number of requests.

// ErrBusy: the password checks allowed at once are all taken and no turn
// came within the wait. Nothing was checked; try again in a few seconds.
var ErrBusy = errors.New("edge: too many password checks at once; try again in a few seconds")

// Gate bounds how many memory-hard derivations run at once. It is safe
// for concurrent use.
type Gate struct {
	slots   chan struct{}
	queue   int64 // most callers waiting for a slot
	wait    time.Duration
	waiting atomic.Int64
}

// NewGate returns a gate that runs at most run functions at once, lets at
// most queue more wait for a slot, each at most wait.
func NewGate(run, queue int, wait time.Duration) *Gate {
	if run < 1 || queue < 0 || wait < 0 {
		panic(fmt.Sprintf("edge: NewGate(%d, %d, %v): want run ≥ 1, queue ≥ 0, wait ≥ 0", run, queue, wait))
	}
	return &Gate{slots: make(chan struct{}, run), queue: int64(queue), wait: wait}
}

// KDF limits every password-based key derivation of this process: two at
// once (two cores, 64 MiB each), sixteen waiting up to two seconds (about
// what two slots get through in that time).
var KDF = NewGate(2, 16, 2*time.Second)

// Do runs fn once a slot is free. It returns ErrBusy without running fn
// when the queue is full or no slot freed within the gate's wait, and
// ctx's error when ctx ends first.
func (g *Gate) Do(ctx context.Context, fn func()) error {
	if err := g.acquire(ctx); err != nil {
		return err
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

func (g *Gate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return ErrBusy
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Bounds of the Argon2id parameters a stored hash may ask for: the gate
// bounds how many run, these how much each may take.
const (
	maxArgonTime   = 16
	maxArgonMemory = 256 << 10 // KiB
)

// Argon2id derives keyLen bytes from password and salt (memory in KiB)
// through the KDF gate: ErrBusy or ctx's error when no turn came.
//
// The run's memory is garbage once it returns; it is collected before the
// slot is given to the next caller. Otherwise the heap grows by the
// collector's own margin over the live runs: 200 parallel wrong logins
// took the demo from 138 to 369 MB, and to 2 GB before the gate.
func Argon2id(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if time < 1 || time > maxArgonTime || memory < 8*uint32(threads) || memory > maxArgonMemory || threads < 1 || keyLen < 16 {
		return nil, fmt.Errorf("edge: Argon2id parameters t=%d m=%d KiB p=%d length %d out of bounds "+
			"(t 1–%d, m up to %d KiB, p ≥ 1, length ≥ 16)", time, memory, threads, keyLen, maxArgonTime, maxArgonMemory)
	}
	var out []byte
	err := KDF.Do(ctx, func() {
		out = argon2.IDKey(password, salt, time, memory, threads, keyLen)
		runtime.GC()
	})
	return out, err
}
