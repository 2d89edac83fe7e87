package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/wire"
)

// city answers pushes by echoing applied outcomes. Bodies of compressFrom
// bytes or more must arrive zstd-compressed, smaller ones plain.
func city(t *testing.T, calls *int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*calls++
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Encoding") == "zstd" {
			zr, _ := zstd.NewReader(nil)
			defer zr.Close()
			b, _ = zr.DecodeAll(b, nil)
		}
		if compressed := r.Header.Get("Content-Encoding") == "zstd"; compressed != (len(b) >= compressFrom) {
			t.Errorf("%d-byte push sent with compression %v", len(b), compressed)
		}
		cs, err := wire.DecodeChanges(b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		outs := make([]*registry.Outcome, len(cs))
		for i, c := range cs {
			outs[i] = &registry.Outcome{Change: c.ID(), Result: registry.Applied}
		}
		w.Write(wire.EncodeOutcomes(outs))
	}
}

var changes = []*registry.Change{{Node: "edge-1", Seq: 1, Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101"}}

func TestFailsOverToTheNextNode(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"not the leader","leader":"city-2"}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	var calls int
	up := httptest.NewServer(city(t, &calls))
	defer up.Close()
	c, err := New([]string{down.URL, up.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := c.Push(context.Background(), changes)
	if err != nil || len(outs) != 1 || outs[0].Result != registry.Applied {
		t.Fatalf("push: %v %+v", err, outs)
	}
	// The node that answered is tried first next time; a large batch goes
	// compressed.
	var many []*registry.Change
	for i := uint64(1); i <= 50; i++ {
		many = append(many, &registry.Change{Node: "edge-1", Seq: i, Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101"})
	}
	if _, err := c.Push(context.Background(), many); err != nil || calls != 2 {
		t.Fatalf("second push: %v, calls %d", err, calls)
	}
}

// TestFrozenNodeIsNotStuckOn: a node that hangs (a frozen process accepts
// connections and answers nothing) uses up the caller's time; the next
// call starts with another node instead of the same one again.
func TestFrozenNodeIsNotStuckOn(t *testing.T) {
	release := make(chan struct{})
	frozen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer frozen.Close()
	defer close(release)
	var calls int
	up := httptest.NewServer(city(t, &calls))
	defer up.Close()
	c, err := New([]string{frozen.URL, up.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = c.Push(ctx, changes)
	cancel()
	if err == nil || calls != 0 {
		t.Fatalf("the first push: %v, %d calls to the live node; want the caller's time spent on the frozen one", err, calls)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if outs, err := c.Push(ctx, changes); err != nil || len(outs) != 1 || calls != 1 {
		t.Fatalf("the next push: %v, %d calls; want it sent to the live node first", err, calls)
	}
}

func TestRefusalIsNotRetried(t *testing.T) {
	var second int
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
	}))
	defer refuse.Close()
	other := httptest.NewServer(city(t, &second))
	defer other.Close()
	c, _ := New([]string{refuse.URL, other.URL}, nil)
	if _, err := c.Push(context.Background(), changes); !errors.Is(err, ErrRefused) || second != 0 {
		t.Fatalf("err %v, other node called %d times", err, second)
	}
}

func TestAllDown(t *testing.T) {
	c, _ := New([]string{"http://127.0.0.1:1"}, nil)
	if _, err := c.Push(context.Background(), changes); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
}

func TestMismatchedOutcomesRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(wire.EncodeOutcomes([]*registry.Outcome{{Change: "edge-1/99", Result: registry.Applied}}))
	}))
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	if _, err := c.Push(context.Background(), changes); err == nil {
		t.Fatal("an outcome for another change was accepted")
	}
}

func TestHTTPSRequiredWithTLS(t *testing.T) {
	if _, err := New([]string{"http://127.0.0.1:7441"}, &tls.Config{}); err == nil {
		t.Fatal("plain HTTP accepted with a TLS configuration")
	}
}

// TestCityTime: the Date of every answer over TLS reaches OnCityTime.
func TestCityTime(t *testing.T) {
	calls := 0
	srv := httptest.NewTLSServer(city(t, &calls))
	defer srv.Close()
	tlsCfg := &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	c, err := New([]string{srv.URL}, tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	var seen []time.Time
	c.OnCityTime(func(at time.Time) { seen = append(seen, at) })
	before := time.Now().Truncate(time.Second)
	if _, err := c.Push(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Before(before) || seen[0].After(time.Now()) {
		t.Errorf("city times seen: %v", seen)
	}
}

// A follower that forwarded a push names the leader; the client sends its
// next push to the leader directly when the leader's URL is one of its
// own, and ignores a URL it was not given.
func TestFollowsTheLeaderAFollowerNames(t *testing.T) {
	var leaderCalls, followerCalls int
	leader := httptest.NewServer(city(t, &leaderCalls))
	defer leader.Close()
	hint := leader.URL + "/"
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(wire.HeaderLeader, hint)
		city(t, &followerCalls)(w, r)
	}))
	defer follower.Close()
	c, err := New([]string{follower.URL, leader.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.Push(context.Background(), changes); err != nil {
			t.Fatal(err)
		}
	}
	if followerCalls != 1 || leaderCalls != 1 {
		t.Fatalf("follower answered %d pushes, leader %d; want the second at the leader", followerCalls, leaderCalls)
	}

	hint = "https://elsewhere.example:7443"
	followerCalls, leaderCalls = 0, 0
	c2, err := New([]string{follower.URL, leader.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c2.Push(context.Background(), changes); err != nil {
			t.Fatal(err)
		}
	}
	if followerCalls != 2 || leaderCalls != 0 {
		t.Fatalf("an unknown leader URL was followed: follower %d, leader %d", followerCalls, leaderCalls)
	}
}

// TestLimitedSaysWhenToComeBack: a 429 is not a refusal (the changes stay
// in the outbox) and carries the city's Retry-After; the client does not
// try the next node, which counts the same allowance.
func TestLimitedSaysWhenToComeBack(t *testing.T) {
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1201")
		http.Error(w, `{"error":"node \"edge-1\" sent more changes than its limit of 3 an hour"}`, http.StatusTooManyRequests)
	}))
	defer limited.Close()
	var other atomic.Int32
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer next.Close()
	c, err := New([]string{limited.URL, next.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Push(context.Background(), changes)
	var se *StatusError
	if !errors.As(err, &se) || errors.Is(err, ErrRefused) || se.Code != http.StatusTooManyRequests || se.RetryAfter != 1201*time.Second {
		t.Fatalf("got %v (%+v)", err, se)
	}
	if n := other.Load(); n != 0 {
		t.Fatalf("the next city node was asked %d times after a 429", n)
	}
}
