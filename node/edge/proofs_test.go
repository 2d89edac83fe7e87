package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/wire"
)

// presenceCity is a fakeCity that also takes proofs of presence, and
// records the order in which proofs and changes arrive.
type presenceCity struct {
	fakeCity
	presence func(*wire.PresenceRequest) error
	log      []string
}

func (c *presenceCity) Presence(_ context.Context, req *wire.PresenceRequest) (*wire.PresenceResponse, error) {
	if err := c.presence(req); err != nil {
		return nil, err
	}
	c.log = append(c.log, "proof "+req.Citizen)
	return &wire.PresenceResponse{Citizen: req.Citizen, Review: true}, nil
}

const visitor = "092190009876" // not in the subset

func visitorEdge(t *testing.T) (*Edge, *Store, *presenceCity) {
	t.Helper()
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	city := &presenceCity{presence: func(*wire.PresenceRequest) error { return nil }}
	city.push = func(cs []*registry.Change) ([]*registry.Outcome, error) {
		outs := make([]*registry.Outcome, len(cs))
		for i, c := range cs {
			city.log = append(city.log, "change "+c.Citizen)
			outs[i] = &registry.Outcome{Change: c.ID(), Result: registry.NeedsReview, Index: 12, Citizen: c.Citizen}
		}
		return outs, nil
	}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return e, s, city
}

func visitorDraft() Draft {
	return Draft{Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: visitor, Base: 7,
		Patch: map[string]string{"temporary_address": "5 Nguyễn Trãi", "temporary_until": "2027-06-30"}}
}

// TestProofGoesBeforeItsChanges: a change for a visitor recorded offline
// reaches the city after the proof it needs, never before; a failure to
// send the proof holds the changes back; the proof stays until its
// changes have their outcomes, then goes.
func TestProofGoesBeforeItsChanges(t *testing.T) {
	e, s, city := visitorEdge(t)
	proof := QueuedProof{Citizen: visitor, Proof: []byte("XNPP proof"), Read: now, Officer: "canbo01"}
	if err := s.QueueProof(proof); err != nil {
		t.Fatal(err)
	}
	c, err := e.Record(visitorDraft())
	if err != nil {
		t.Fatal(err)
	}
	if c.Base != 7 {
		t.Errorf("a visitor's change carries base %d, want the version the officer saw (7)", c.Base)
	}
	down := errors.New("link down")
	city.presence = func(*wire.PresenceRequest) error { return down }
	if err := e.PushOnce(context.Background()); !errors.Is(err, down) {
		t.Fatalf("push with the proof refused on the way: %v", err)
	}
	if len(city.log) != 0 {
		t.Fatalf("sent while the proof could not go: %v", city.log)
	}
	city.presence = func(req *wire.PresenceRequest) error {
		if req.Challenge != "" || !bytes.Equal(req.Proof, proof.Proof) {
			return fmt.Errorf("proof request %+v", req)
		}
		return nil
	}
	if err := e.PushOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"proof " + visitor, "change " + visitor}; !slices.Equal(city.log, want) {
		t.Fatalf("the city saw %v, want %v", city.log, want)
	}
	if kept, _ := s.HasProof(visitor); kept {
		t.Error("the proof is kept after its change has its outcome")
	}
	// Nothing new: nothing is sent again.
	if err := e.PushOnce(context.Background()); err != nil || len(city.log) != 2 {
		t.Fatalf("a second push: %v, %v", err, city.log)
	}
}

// TestProofKeptWhileItsChangesWait: a proof sent whose changes did not
// get through stays (HasProof), so that another visit of the citizen is
// recorded under a proof of the same kind; it is not sent twice.
func TestProofKeptWhileItsChangesWait(t *testing.T) {
	e, s, city := visitorEdge(t)
	if err := s.QueueProof(QueuedProof{Citizen: visitor, Proof: []byte("p1"), Read: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Record(visitorDraft()); err != nil {
		t.Fatal(err)
	}
	push := city.push
	city.push = func([]*registry.Change) ([]*registry.Outcome, error) { return nil, errors.New("cut") }
	if err := e.PushOnce(context.Background()); err == nil {
		t.Fatal("a failed push succeeded")
	}
	if kept, _ := s.HasProof(visitor); !kept {
		t.Fatal("the proof went while its change still waits")
	}
	city.push = push
	if err := e.PushOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"proof " + visitor, "change " + visitor}; !slices.Equal(city.log, want) {
		t.Fatalf("the city saw %v, want %v (the proof once)", city.log, want)
	}
	// A newer read replaces a kept one and is sent again.
	if err := s.QueueProof(QueuedProof{Citizen: visitor, Proof: []byte("p2"), Read: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := e.PushOnce(context.Background()); err != nil || len(city.log) != 3 {
		t.Fatalf("a newer read: %v, %v", err, city.log)
	}
}

// TestRefusedProofIsDropped: a proof the city refuses will never be
// accepted; the changes go on (to be rejected as out of reach).
func TestRefusedProofIsDropped(t *testing.T) {
	e, s, city := visitorEdge(t)
	if err := s.QueueProof(QueuedProof{Citizen: visitor, Proof: []byte("forged"), Read: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Record(visitorDraft()); err != nil {
		t.Fatal(err)
	}
	city.presence = func(*wire.PresenceRequest) error {
		return fmt.Errorf("%w: 403 not authentic", client.ErrRefused)
	}
	if err := e.PushOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"change " + visitor}; !slices.Equal(city.log, want) {
		t.Fatalf("the city saw %v, want %v", city.log, want)
	}
	if kept, _ := s.HasProof(visitor); kept {
		t.Error("a refused proof is kept")
	}
}

// TestProofsSealedAndRekeyed: a queued proof holds the chip's files (name,
// address), so it is sealed on disk, and a rewrite under a new key keeps
// it.
func TestProofsSealedAndRekeyed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.db")
	s := mustStoreIn(t, dir)
	secret := []byte("Trần Thị Bình, Số 8 Đường Hòa Bình")
	if err := s.QueueProof(QueuedProof{Citizen: visitor, Proof: secret, Read: now, Officer: "canbo01"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range [][]byte{secret, []byte(visitor)} {
		if bytes.Contains(raw, plain) {
			t.Fatalf("the store holds %q in the clear", plain)
		}
	}
	newMaster := make([]byte, 32)
	rand.Read(newMaster)
	if err := Rekey(path, readKeyFileT(t, dir), newMaster); err != nil {
		t.Fatal(err)
	}
	s, err = OpenStoreKey(path, newMaster)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Proofs()
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Proof, secret) || got[0].Citizen != visitor {
		t.Fatalf("proofs after rekey: %+v, %v", got, err)
	}
	if kept, _ := s.HasProof(visitor); !kept {
		t.Error("HasProof after rekey: the key is not the new key's hash")
	}
}
