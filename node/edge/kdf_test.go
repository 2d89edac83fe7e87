package edge

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestGate: two run at once, the queue waits for a turn, a full queue and
// a wait that ends are ErrBusy without running anything, and a cancelled
// context ends the wait.
func TestGate(t *testing.T) {
	g := NewGate(2, 1, time.Hour)
	hold, running := make(chan struct{}), make(chan struct{}, 3)
	var ran atomic.Int32
	block := func() { ran.Add(1); running <- struct{}{}; <-hold }
	errs := make(chan error, 3)
	for range 2 {
		go func() { errs <- g.Do(context.Background(), block) }()
	}
	<-running
	<-running
	// The third waits in the queue; a fourth finds the queue full.
	go func() { errs <- g.Do(context.Background(), block) }()
	for g.waiting.Load() != 1 {
		time.Sleep(time.Millisecond) // polls a condition; no timing is asserted
	}
	if err := g.Do(context.Background(), func() { t.Error("ran past a full queue") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("full queue: %v", err)
	}
	close(hold)
	<-running // the queued one got its turn
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if ran.Load() != 3 {
		t.Fatalf("%d ran, want 3", ran.Load())
	}

	short := NewGate(1, 4, time.Millisecond)
	hold = make(chan struct{})
	go short.Do(context.Background(), func() { running <- struct{}{}; <-hold })
	<-running
	if err := short.Do(context.Background(), func() { t.Error("ran without a turn") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("wait over: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	long := NewGate(1, 4, time.Hour)
	go long.Do(context.Background(), func() { running <- struct{}{}; <-hold })
	<-running
	if err := long.Do(ctx, func() { t.Error("ran after its context ended") }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	close(hold)
}

// TestAuthenticateBusy: a password check that gets no KDF turn checks
// nothing and says so.
func TestAuthenticateBusy(t *testing.T) {
	s := mustStore(t)
	if err := s.PutOfficer("lan", "Trần Thị Lan", "officer", "mật khẩu dài"); err != nil {
		t.Fatal(err)
	}
	hold, running := make(chan struct{}), make(chan struct{}, 2)
	for range 2 {
		go KDF.Do(context.Background(), func() { running <- struct{}{}; <-hold })
	}
	<-running
	<-running
	defer close(hold)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Authenticate(ctx, "lan", "mật khẩu dài"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Authenticate without a turn: %v", err)
	}
}

func TestArgon2idBounds(t *testing.T) {
	for _, p := range []struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}{{0, 64 << 10, 2, 32}, {3, 4 << 20, 2, 32}, {3, 64 << 10, 0, 32}, {3, 64 << 10, 2, 8}, {99, 64 << 10, 2, 32}} {
		if _, err := Argon2id(context.Background(), []byte("x"), []byte("salt-salt-salt-1"), p.time, p.memory, p.threads, p.keyLen); err == nil {
			t.Errorf("parameters %+v accepted", p)
		}
	}
}
