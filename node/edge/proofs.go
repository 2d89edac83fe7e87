package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/wire"
)

// Proofs of presence waiting for the city (DESIGN.md, "Authority"). An
// officer who serves a citizen of another commune while the city is out of
// reach records the change from the chip's verified data; the city
// accepts it only with a grant, which the proof of presence gives. So the
// proof (the chip's signed files, read at the desk) waits here, sealed
// like every personal datum, and the push loop sends it before the
// changes it backs. Without the city's fresh challenge the chip's
// signature proves no time, so the grant is one for review: the changes
// go to city IT, as the officer was told.
//
// One entry per citizen: a newer read replaces the older one, since an
// unsigned grant covers the 30 days before it reached the city. An entry
// stays after it was sent until no change for its citizen waits in the
// outbox, so that a later visit of the same person is recorded the same
// way rather than with a grant that would no longer cover those changes.

var bProofs = []byte("proofs") // h(citizen ID) → sealed queuedProof (JSON)

// QueuedProof is a proof of presence kept for the city.
type QueuedProof struct {
	Citizen string    `json:"citizen"`
	Proof   []byte    `json:"proof"`   // reader/presence.Proof, marshalled
	Read    time.Time `json:"read"`    // when the card was read
	Officer string    `json:"officer"` // who read it
	Sent    bool      `json:"sent,omitempty"`
}

// PresenceCity is the part of City that takes proofs of presence
// (sync/client). A City without it cannot send queued proofs.
type PresenceCity interface {
	Presence(ctx context.Context, req *wire.PresenceRequest) (*wire.PresenceResponse, error)
}

func (s *Store) proofKey(citizen string) []byte { return s.keys.hash("proof", citizen) }

func (s *Store) putProof(tx *bolt.Tx, p QueuedProof) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	k := s.proofKey(p.Citizen)
	return tx.Bucket(bProofs).Put(k, s.keys.seal(bProofs, k, v))
}

func (s *Store) openProof(k, v []byte) (QueuedProof, error) {
	var p QueuedProof
	plain, err := s.keys.open(bProofs, k, v)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, fmt.Errorf("%w: queued proof: %w", ErrCorrupt, err)
	}
	return p, nil
}

// QueueProof keeps a proof of presence for the city, replacing any the
// citizen had (sent or not): it is sent before the next push.
func (s *Store) QueueProof(p QueuedProof) error {
	if p.Citizen == "" || len(p.Proof) == 0 {
		return errors.New("edge: a queued proof needs its citizen and proof")
	}
	p.Sent = false
	return s.db.Update(func(tx *bolt.Tx) error { return s.putProof(tx, p) })
}

// HasProof reports whether a proof for citizen is kept: not sent yet, or
// sent while changes it backs still wait in the outbox.
func (s *Store) HasProof(citizen string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bProofs).Get(s.proofKey(citizen)) != nil
		return nil
	})
	return ok, err
}

// Proofs lists the proofs kept, in no particular order.
func (s *Store) Proofs() ([]QueuedProof, error) {
	var out []QueuedProof
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bProofs).ForEach(func(k, v []byte) error {
			p, err := s.openProof(k, v)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// proofSent marks citizen's proof sent, or drops it (refused: it will
// never be accepted). A proof replaced meanwhile by a newer read stays.
func (s *Store) proofSent(p QueuedProof, drop bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := s.proofKey(p.Citizen)
		v := tx.Bucket(bProofs).Get(k)
		if v == nil {
			return nil
		}
		cur, err := s.openProof(k, v)
		if err != nil || !cur.Read.Equal(p.Read) {
			return err
		}
		if drop {
			return tx.Bucket(bProofs).Delete(k)
		}
		cur.Sent = true
		return s.putProof(tx, cur)
	})
}

// dropSettledProofs removes the sent proofs whose citizen has no change
// left in the outbox.
func (s *Store) dropSettledProofs() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		waiting := map[string]bool{}
		if err := tx.Bucket(bOutbox).ForEach(func(k, _ []byte) error {
			c, err := s.change(tx, k)
			if err == nil {
				waiting[c.Citizen] = true
			}
			return err
		}); err != nil {
			return err
		}
		var done [][]byte
		if err := tx.Bucket(bProofs).ForEach(func(k, v []byte) error {
			p, err := s.openProof(k, v)
			if err == nil && p.Sent && !waiting[p.Citizen] {
				done = append(done, k)
			}
			return err
		}); err != nil {
			return err
		}
		for _, k := range done {
			if err := tx.Bucket(bProofs).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// SendProofs sends the proofs of presence not sent yet, each without a
// challenge (the city's challenge expired long ago, or was never had). A
// proof the city refuses (not authentic, an unknown citizen) is dropped:
// the changes it was to back are then rejected as out of reach, which the
// officer sees in the outbox. Any other failure stops it: the changes
// must not reach the city before their proof.
func (e *Edge) SendProofs(ctx context.Context) error {
	proofs, err := e.cfg.Store.Proofs()
	if err != nil {
		return err
	}
	pc, ok := e.cfg.City.(PresenceCity)
	for _, p := range proofs {
		if p.Sent {
			continue
		}
		if !ok {
			return errors.New("edge: proofs of presence wait, but this city client cannot send them")
		}
		_, err := pc.Presence(ctx, &wire.PresenceRequest{Citizen: p.Citizen, Proof: p.Proof})
		switch {
		case errors.Is(err, client.ErrRefused):
			e.log.Warn("the city refused a proof of presence read offline: the changes it backs will be rejected",
				"citizen", p.Citizen, "read", p.Read, "officer", p.Officer, "err", err)
			if err := e.cfg.Store.proofSent(p, true); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("edge: sending a proof of presence: %w", err)
		default:
			e.log.Info("proof of presence read offline sent: the changes it backs go to review", "citizen", p.Citizen, "read", p.Read)
			if err := e.cfg.Store.proofSent(p, false); err != nil {
				return err
			}
		}
	}
	return nil
}
