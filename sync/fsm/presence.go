package fsm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/wire"
)

// Proof of presence (DESIGN.md, "Trust model"): an office may reach
// another commune's citizen only when the citizen's chip was read at its
// desk. The city node that receives the proof verifies it itself — passive
// authentication of EF.SOD with DG1 and DG13 against the city's CSCA
// store, and, where the card has active authentication, the chip's
// signature over a challenge the city issued for that request — and only
// then commits a KindPresence entry: a grant, for a while, to that node
// for that citizen. A challenge is itself a log entry (KindChallenge), so
// any city node can check that it was issued to the node that uses it,
// and that it is used once.

// Presence errors: the FSM's verdict on a KindPresence entry.
var (
	ErrChallengeUnknown = errors.New("fsm: presence challenge unknown, issued to another node, or expired: ask for a new one")
	ErrChallengeUsed    = errors.New("fsm: presence challenge already used (a replayed proof)")
	ErrPresenceCitizen  = errors.New("fsm: the chip's citizen has no record in the city registry")
)

// Presence windows. A challenge must be answered soon after it is issued;
// a grant backed by the chip's signature covers the visit (actions from
// an hour before the challenge to four hours after); a proof without
// active authentication covers offline work of up to the freeze period
// before it reached the city, and only ever sends changes to review.
const (
	ChallengeTTL     = 2 * time.Minute
	presenceBefore   = time.Hour
	presenceAfter    = 4 * time.Hour
	unsignedLookBack = 30 * 24 * time.Hour
)

// ChipSummary is what the city verified on the chip, kept with the grant
// so that city IT reviewing a change sees the evidence.
type ChipSummary = wire.ChipSummary

// PresenceOp is the payload of KindChallenge (Node and Challenge) and
// KindPresence (the verified proof).
type PresenceOp struct {
	Node       string       `json:"node"`
	Challenge  string       `json:"challenge,omitempty"` // hex, 8 bytes: what the chip signed
	Citizen    string       `json:"citizen,omitempty"`
	AA         bool         `json:"aa,omitempty"`          // the chip's signature over Challenge verified
	VerifiedBy string       `json:"verified_by,omitempty"` // the city node that checked the proof
	Chip       *ChipSummary `json:"chip,omitempty"`
}

// Presence is a grant: node may reach citizen for changes whose action
// time lies in [From, Until].
type Presence struct {
	PresenceOp
	Index uint64    `json:"index"` // the entry that granted it
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// reviewReason is why a change backed by this grant goes to review, with
// the chip data the city verified, for city IT to compare.
func (p *Presence) reviewReason() string {
	chip := "no chip data"
	if c := p.Chip; c != nil {
		chip = fmt.Sprintf("document %s, %q, born %s, sex %s; signed by %q under %q", c.Document, c.FullName, c.BirthDate, c.Sex, c.DocumentSigner, c.CSCA)
	}
	return fmt.Sprintf("proof of presence without active authentication (chip data verified by %s at index %d: %s): a change to another commune's citizen needs review",
		p.VerifiedBy, p.Index, chip)
}

type challengeRecord struct {
	Node    string    `json:"node"`
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
}

func presenceKey(node, citizen string) []byte {
	return append(append([]byte(node), 0), citizen...)
}

func (c *Command) checkPresence() error {
	op := c.Presence
	if op == nil || !validName(op.Node) {
		return errors.New("presence command without a valid node")
	}
	ch, err := hex.DecodeString(op.Challenge)
	switch {
	case err != nil || (op.Challenge != "" && len(ch) != 8):
		return fmt.Errorf("challenge %q must be 8 bytes in hex", op.Challenge)
	case c.Kind == KindChallenge && (op.Challenge == "" || op.Citizen != "" || op.AA || op.Chip != nil):
		return errors.New("a challenge carries only the node and the challenge")
	case c.Kind == KindPresence:
		if _, err := registry.ParseID(op.Citizen); err != nil {
			return err
		}
		if op.AA && op.Challenge == "" {
			return errors.New("active authentication without a challenge")
		}
		if op.Chip == nil || len(op.Chip.FullName)+len(op.Chip.CSCA)+len(op.Chip.DocumentSigner) > 1024 || !validName(op.VerifiedBy) {
			return errors.New("presence without the verified chip data or its verifier")
		}
	}
	return nil
}

// applyChallenge records a challenge issued to a node, and forgets the
// ones that expired (the bucket holds only what may still be answered).
func (f *FSM) applyChallenge(t *txn, cmd *Command) any {
	op := cmd.Presence
	if t.get(bChallenges, []byte(op.Challenge)) != nil {
		return fmt.Errorf("fsm: challenge %s issued twice", op.Challenge)
	}
	var expired [][]byte
	c := t.tx.Bucket(bChallenges).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r challengeRecord
		if json.Unmarshal(v, &r) == nil && !cmd.Received.Before(r.Expires) {
			expired = append(expired, bytes.Clone(k))
		}
	}
	for _, k := range expired {
		t.del(bChallenges, k)
	}
	v, _ := json.Marshal(challengeRecord{Node: op.Node, Expires: cmd.Received.Add(ChallengeTTL)})
	t.put(bChallenges, []byte(op.Challenge), v, true)
	return nil
}

// applyPresence consumes the challenge the proof answered and grants the
// node the citizen for the visit. The city node verified the proof before
// proposing the entry; what only the log can tell — that the challenge
// was issued to this node, in time, and never used — is decided here.
func (f *FSM) applyPresence(t *txn, index uint64, cmd *Command) any {
	op := cmd.Presence
	issued := cmd.Received
	if t.get(bCitizens, []byte(op.Citizen)) == nil {
		return ErrPresenceCitizen
	}
	if op.Challenge != "" {
		v := t.get(bChallenges, []byte(op.Challenge))
		var r challengeRecord
		if v == nil || json.Unmarshal(v, &r) != nil || r.Node != op.Node || !cmd.Received.Before(r.Expires) {
			return ErrChallengeUnknown
		}
		if r.Used {
			return ErrChallengeUsed
		}
		r.Used = true
		v, _ = json.Marshal(r)
		t.put(bChallenges, []byte(op.Challenge), v, true)
		issued = r.Expires.Add(-ChallengeTTL)
	}
	g := Presence{PresenceOp: *op, Index: index, From: issued.Add(-presenceBefore), Until: issued.Add(presenceAfter)}
	if !op.AA {
		g.From = issued.Add(-unsignedLookBack)
	}
	v, _ := json.Marshal(g)
	t.put(bPresence, presenceKey(op.Node, op.Citizen), v, true)
	return &g
}

// presence returns node's grant for citizen covering action time at, or
// nil.
func (t *txn) presence(node, citizen string, at registry.HLC) *Presence {
	v := t.get(bPresence, presenceKey(node, citizen))
	if v == nil {
		return nil
	}
	var g Presence
	if err := json.Unmarshal(v, &g); err != nil {
		panic(fmt.Sprintf("fsm: presence %s/%s: %v", node, citizen, err))
	}
	ms := at.Millis()
	if ms < g.From.UnixMilli() || ms > g.Until.UnixMilli() {
		return nil
	}
	return &g
}

// CheckChallenge is the read-only verdict on a challenge a proof answers,
// for node at now: nil, ErrChallengeUnknown or ErrChallengeUsed. The city
// asks before proposing a proof, so that a replay writes nothing; the
// entry's own check (applyPresence) stays the one that counts.
func (f *FSM) CheckChallenge(node, challenge string, now time.Time) error {
	return f.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bChallenges).Get([]byte(challenge))
		var r challengeRecord
		switch {
		case v == nil || json.Unmarshal(v, &r) != nil || r.Node != node || !now.Before(r.Expires):
			return ErrChallengeUnknown
		case r.Used:
			return ErrChallengeUsed
		}
		return nil
	})
}
