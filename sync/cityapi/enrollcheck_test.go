package cityapi

import (
	"fmt"
	"testing"
	"time"
)

// TestAddrLimiter: limit at once, then one every window/limit; keys are
// apart; a refused attempt takes nothing and says how long to wait; the
// key table stays bounded, forgetting keys that would be admitted anyway.
func TestAddrLimiter(t *testing.T) {
	l := newAddrLimiter(10, time.Minute)
	now := time.Unix(1e9, 0)
	for i := range 10 {
		if ok, _ := l.allow("10.0.0.1", now); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	for range 3 { // refusals take no token
		if ok, wait := l.allow("10.0.0.1", now); ok || wait != 6*time.Second {
			t.Fatalf("over the limit: allowed %v, wait %v; want a refusal and 6s", ok, wait)
		}
	}
	if ok, _ := l.allow("10.0.0.2", now); !ok {
		t.Fatal("another address refused")
	}
	if ok, _ := l.allow("10.0.0.1", now.Add(6*time.Second)); !ok {
		t.Fatal("refused after the wait it gave")
	}
	if ok, _ := l.allow("10.0.0.1", now.Add(6*time.Second)); ok {
		t.Fatal("a second attempt on one refilled token")
	}
	if ok, _ := l.allow("10.0.0.1", now.Add(time.Hour)); !ok {
		t.Fatal("refused an hour later")
	}

	// The table grows while its keys are busy, and sheds those that have
	// refilled once it is full.
	later := now.Add(2 * time.Hour)
	for i := range maxLimiterKeys {
		l.allow(fmt.Sprint("k", i), later)
	}
	for range 10 {
		l.allow("busy", later)
	}
	l.allow("new", later.Add(time.Second))
	if n := len(l.keys); n < maxLimiterKeys {
		t.Fatalf("%d keys held: busy keys were forgotten", n)
	}
	l.allow("newer", later.Add(time.Minute))
	if n := len(l.keys); n > 10 {
		t.Fatalf("%d keys held a minute later, want the refilled ones shed", n)
	}
	if ok, _ := l.allow("busy", later.Add(time.Minute)); !ok {
		t.Fatal("the busy key, refilled, refused")
	}
}
