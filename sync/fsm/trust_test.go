package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

// csca is a trust item for a certificate: the FSM never parses the DER,
// so any bytes do.
func csca(name string) TrustItem {
	der := []byte("certificate of " + name)
	return TrustItem{Kind: TrustCSCA, DER: der, Fingerprint: Fingerprint(der), Subject: "CN=" + name + ",C=VN",
		Issuer: "CN=" + name + ",C=VN", NotAfter: t0.AddDate(10, 0, 0), Source: "ICAO master list"}
}

// crl is a CRL of issuer, issued days after t0, due a month later.
func crl(issuer string, days int) TrustItem {
	der := []byte(fmt.Sprintf("CRL of %s on day %d", issuer, days))
	this := t0.AddDate(0, 0, days)
	return TrustItem{Kind: TrustCRL, DER: der, Fingerprint: Fingerprint(der), Issuer: "CN=" + issuer + ",C=VN",
		ThisUpdate: this, NextUpdate: this.AddDate(0, 1, 0)}
}

func trustCmd(add []TrustItem, remove ...string) *Command {
	return &Command{Kind: KindTrust, Received: t0, Trust: &TrustOp{Add: add, Remove: remove}}
}

func mustTrust(t *testing.T, f *FSM) *TrustSet {
	t.Helper()
	s, err := f.Trust()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fingerprints(s *TrustSet) string {
	var fps []string
	for _, e := range s.Entries {
		fps = append(fps, e.Kind+":"+strings.TrimPrefix(strings.Split(e.Issuer, ",")[0], "CN=")+"@"+e.ThisUpdate.Format("01-02"))
	}
	return strings.Join(fps, " ")
}

// TestTrustSet: CSCAs are added, a CRL replaces an older one of its
// issuer, an older CRL and an unknown removal are refused with nothing
// written, and each change advances the version and tells the observers.
func TestTrustSet(t *testing.T) {
	l := seeded(t)
	var events []Event
	l.f.Observe(func(evs []Event) {
		for _, e := range evs {
			if e.Kind == EventTrust {
				events = append(events, e)
			}
		}
	})
	res := l.apply(t, trustCmd([]TrustItem{csca("VN"), csca("DE"), crl("VN", 0)}))
	r, ok := res.(*TrustResult)
	if !ok || r.Added != 3 || r.Version != l.index {
		t.Fatalf("adding: %#v", res)
	}
	added := l.index
	s := mustTrust(t, l.f)
	if s.Version != added || len(s.Entries) != 3 || s.Entries[0].By != "admin" || !s.Entries[0].Added.Equal(t0) || s.Entries[0].Index != added {
		t.Fatalf("set after adding: %+v", s)
	}

	// The same items again change nothing, not even the version.
	if r := l.apply(t, trustCmd([]TrustItem{csca("VN"), crl("VN", 0)})).(*TrustResult); r.Unchanged != 2 || r.Added != 0 || r.Version != added {
		t.Fatalf("adding again: %+v", r)
	}
	before, _ := l.f.Status()
	for name, cmd := range map[string]*Command{
		"an older CRL": trustCmd([]TrustItem{crl("VN", -1)}),
		"a CRL of the same date": trustCmd([]TrustItem{func() TrustItem {
			c := crl("VN", 0)
			c.DER = append(c.DER, '!')
			c.Fingerprint = Fingerprint(c.DER)
			return c
		}()}),
		"an unknown removal": trustCmd([]TrustItem{csca("FR")}, Fingerprint([]byte("nothing"))),
	} {
		res := l.apply(t, cmd)
		err, _ := res.(error)
		if !errors.Is(err, ErrTrustCRLNotNewer) && !errors.Is(err, ErrTrustUnknown) {
			t.Errorf("%s: %v", name, res)
		}
	}
	if after, _ := l.f.Status(); after.Digest != before.Digest || mustTrust(t, l.f).Version != added {
		t.Fatal("a refused trust command changed the state")
	}

	// A newer CRL replaces the older one of its issuer.
	r = l.apply(t, trustCmd([]TrustItem{crl("VN", 7), crl("DE", 1)})).(*TrustResult)
	if r.Added != 2 || r.Replaced != 1 || r.Version != l.index {
		t.Fatalf("newer CRL: %+v", r)
	}
	s = mustTrust(t, l.f)
	if got := fingerprints(s); strings.Count(got, "crl:VN") != 1 || !strings.Contains(got, "crl:VN@12-04") || len(s.Entries) != 4 {
		t.Fatalf("set after the newer CRL: %s", got)
	}
	// Removal, and a removed CRL's issuer may start again with any date.
	r = l.apply(t, trustCmd(nil, csca("DE").Fingerprint, crl("VN", 7).Fingerprint)).(*TrustResult)
	if r.Removed != 2 || mustTrust(t, l.f).Version != l.index {
		t.Fatalf("removal: %+v", r)
	}
	if res := l.apply(t, trustCmd([]TrustItem{crl("VN", -3)})); res.(*TrustResult).Added != 1 {
		t.Fatalf("a CRL after its issuer's was removed: %v", res)
	}
	// Replacing in one command: the old CRL removed, the new one added.
	if res := l.apply(t, trustCmd([]TrustItem{crl("VN", -5)}, crl("VN", -3).Fingerprint)); res.(*TrustResult).Added != 1 {
		t.Fatalf("remove and add: %v", res)
	}
	if got := fingerprints(mustTrust(t, l.f)); got == "" || strings.Count(got, "crl:VN") != 1 {
		t.Fatalf("set: %s", got)
	}
	if len(events) != 5 || events[len(events)-1].Version != l.index {
		t.Fatalf("events: %+v", events)
	}
}

// TestTrustCommandChecks: what the log may not hold is refused when the
// entry is decoded, and an edge may not send the kind at all.
func TestTrustCommandChecks(t *testing.T) {
	bad := func(f func(*TrustItem)) []TrustItem {
		it := crl("VN", 0)
		f(&it)
		return []TrustItem{it}
	}
	big := make([]TrustItem, 0, 6)
	for i := range 6 {
		it := csca("x")
		it.DER = bytes.Repeat([]byte{byte(i)}, MaxTrustItemBytes)
		it.Fingerprint = Fingerprint(it.DER)
		big = append(big, it)
	}
	for name, op := range map[string]*TrustOp{
		"empty":               {},
		"wrong fingerprint":   {Add: bad(func(it *TrustItem) { it.Fingerprint = Fingerprint([]byte("other")) })},
		"unknown kind":        {Add: bad(func(it *TrustItem) { it.Kind = "ml" })},
		"no DER":              {Add: bad(func(it *TrustItem) { it.DER, it.Fingerprint = nil, Fingerprint(nil) })},
		"no issuer":           {Add: bad(func(it *TrustItem) { it.Issuer = "" })},
		"control in issuer":   {Add: bad(func(it *TrustItem) { it.Issuer = "CN=VN\n" })},
		"CRL without a date":  {Add: bad(func(it *TrustItem) { it.ThisUpdate = time.Time{} })},
		"next before this":    {Add: bad(func(it *TrustItem) { it.NextUpdate = it.ThisUpdate.Add(-time.Hour) })},
		"CRL with a subject":  {Add: bad(func(it *TrustItem) { it.Subject = "CN=x" })},
		"two CRLs of VN":      {Add: []TrustItem{crl("VN", 0), crl("VN", 1)}},
		"an item twice":       {Add: []TrustItem{csca("VN"), csca("VN")}},
		"added and removed":   {Add: []TrustItem{csca("VN")}, Remove: []string{csca("VN").Fingerprint}},
		"bad fingerprint":     {Remove: []string{"ABC"}},
		"certificate no date": {Add: []TrustItem{func() TrustItem { c := csca("VN"); c.NotAfter = time.Time{}; return c }()}},
		"too many bytes":      {Add: big},
	} {
		c := &Command{Kind: KindTrust, Received: t0, From: Sender{Role: registry.RoleAdmin, ID: "admin"}, Trust: op}
		if _, err := DecodeCommand(c.Encode()); !errors.Is(err, ErrCommand) {
			t.Errorf("%s: %v", name, err)
		}
	}
	edge := &Command{Kind: KindTrust, From: Sender{Role: registry.RoleEdge, ID: "edge-1"}, Trust: &TrustOp{Add: []TrustItem{csca("VN")}}}
	if err := edge.Authorize(); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an edge sent KindTrust: %v", err)
	}
}

// randomTrustLog is a log of trust commands: CSCAs of a few countries,
// CRLs issued on random days (older ones are refused), removals of what
// was added, some of them of items already gone.
func randomTrustLog(seed uint64, n int) []*raft.Log {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	countries := []string{"VN", "DE", "FR", "JP", "LA"}
	var logs []*raft.Log
	var added []string
	for len(logs) < n {
		var add []TrustItem
		var remove []string
		for k := rng.IntN(4); k >= 0; k-- {
			c := countries[rng.IntN(len(countries))]
			switch rng.IntN(3) {
			case 0:
				add = append(add, csca(c+fmt.Sprint(rng.IntN(3))))
			case 1:
				if !containsCRL(add, c) {
					add = append(add, crl(c, rng.IntN(60)))
				}
			default:
				if len(added) > 0 {
					fp := added[rng.IntN(len(added))]
					if !containsFP(add, remove, fp) {
						remove = append(remove, fp)
					}
				}
			}
		}
		for _, it := range add {
			if containsFP(nil, remove, it.Fingerprint) {
				return randomTrustLog(seed+1, n)
			}
			added = append(added, it.Fingerprint)
		}
		if len(add)+len(remove) == 0 {
			continue
		}
		c := trustCmd(add, remove...)
		c.Received = t0.Add(time.Duration(len(logs)) * time.Minute)
		c.From = Sender{Role: registry.RoleAdmin, ID: "admin"}
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	return logs
}

func containsCRL(items []TrustItem, country string) bool {
	for _, it := range items {
		if it.Kind == TrustCRL && it.Issuer == "CN="+country+",C=VN" {
			return true
		}
	}
	return false
}

func containsFP(items []TrustItem, fps []string, fp string) bool {
	for _, it := range items {
		if it.Fingerprint == fp {
			return true
		}
	}
	for _, f := range fps {
		if f == fp {
			return true
		}
	}
	return false
}

// TestTrustReplicasAgree applies one random log of trust commands in
// different batchings and across a snapshot: every replica reaches the
// same digest, the same set and the same version.
func TestTrustReplicasAgree(t *testing.T) {
	logs := randomTrustLog(7, 300)
	var want [32]byte
	var wantSet string
	refused := 0
	for r, batch := range []int{1, 5, 64, len(logs)} {
		f := mustOpen(t)
		for i := 0; i < len(logs); i += batch {
			for _, res := range f.ApplyBatch(logs[i:min(i+batch, len(logs))]) {
				if _, ok := res.(error); ok && r == 0 {
					refused++
				}
			}
		}
		st, _ := f.Status()
		set := mustTrust(t, f)
		got := fmt.Sprint(set.Version, fingerprints(set))
		if r == 0 {
			want, wantSet = st.Digest, got
			continue
		}
		if st.Digest != want || got != wantSet {
			t.Fatalf("batches of %d: digest %x set %s, want %x %s", batch, st.Digest, got, want, wantSet)
		}
	}
	if refused == 0 || refused == len(logs) {
		t.Fatalf("%d of %d commands refused: the log does not exercise both paths", refused, len(logs))
	}
	a := mustOpen(t)
	a.ApplyBatch(logs[:len(logs)/2])
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.Persist(&memSink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	b, err := Open(filepath.Join(t.TempDir(), "fsm.db"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
	b.ApplyBatch(logs)
	set := mustTrust(t, b)
	if st, _ := b.Status(); st.Digest != want || fmt.Sprint(set.Version, fingerprints(set)) != wantSet {
		t.Fatal("the restored replica differs")
	}
	t.Logf("%d commands, %d refused; final set: %s", len(logs), refused, wantSet)
}
