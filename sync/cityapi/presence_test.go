package cityapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// fakeChip is a proof as the fake verifier reads it: the chip's ID, and
// what it "signed" (the challenge, when it can).
type fakeChip struct {
	ID     string `json:"id"`
	Signed string `json:"signed,omitempty"`
	Forged bool   `json:"forged,omitempty"`
}

type fakeVerifier struct{}

func (fakeVerifier) VerifyPresence(proof, challenge []byte, _ time.Time) (*VerifiedChip, error) {
	var c fakeChip
	if err := json.Unmarshal(proof, &c); err != nil {
		return nil, err
	}
	if c.Forged {
		return nil, fmt.Errorf("%w: document signer not trusted", ErrNotAuthentic)
	}
	v := &VerifiedChip{ID: c.ID, Chip: fsm.ChipSummary{Document: c.ID[3:], FullName: "Trần Thị Bình"}}
	if c.Signed != "" {
		if c.Signed != hex.EncodeToString(challenge) {
			return nil, fmt.Errorf("%w: active authentication failed", ErrNotAuthentic)
		}
		v.AA = true
	}
	return v, nil
}

func TestPresence(t *testing.T) {
	k := newKit(t, func(c *Config) { c.Presence = fakeVerifier{} })
	admin := k.client(t, k.pki.Admin())
	edge1 := k.edge(t, "edge-1")
	do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(population))
	assign, _ := json.Marshal(api.Assignment{Node: "edge-1", Communes: []string{"92101"}})
	do(t, admin, "POST", k.srv.URL+"/v1/admin/assign", "application/json", assign)
	k.officer(t, "92101", "canbo01", registry.OfficerRole)
	const visitor = "092190004321" // lives in 92102

	challenge := func() string {
		code, b := do(t, edge1, "POST", k.srv.URL+"/v1/presence/challenge", "application/json", nil)
		var cr wire.Challenge
		if code != http.StatusOK || json.Unmarshal(b, &cr) != nil || len(cr.Challenge) != 16 {
			t.Fatalf("challenge: %d %s", code, b)
		}
		return cr.Challenge
	}
	prove := func(citizen, challenge string, chip fakeChip) (int, wire.PresenceResponse, []byte) {
		proof, _ := json.Marshal(chip)
		body, _ := json.Marshal(wire.PresenceRequest{Citizen: citizen, Challenge: challenge, Proof: proof})
		code, b := do(t, edge1, "POST", k.srv.URL+"/v1/presence", "application/json", body)
		var pr wire.PresenceResponse
		json.Unmarshal(b, &pr)
		return code, pr, b
	}
	push := func(seq uint64) *registry.Outcome {
		ch := &registry.Change{Node: "edge-1", Seq: seq, Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: visitor,
			Commune: "92101", Base: 1, Time: registry.HLCFromTime(time.Now()), Patch: registry.Patch{
				{Field: registry.FieldTemporaryAddress, Value: "5 Nguyễn Trãi"}, {Field: registry.FieldTemporaryUntil, Value: "2027-06-30"}}}
		code, b := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, wire.EncodeChanges([]*registry.Change{ch}))
		outs, err := wire.DecodeOutcomes(b)
		if code != http.StatusOK || err != nil {
			t.Fatalf("push: %d %s", code, b)
		}
		return outs[0]
	}

	// Without proof the visitor is out of reach, and the answer says no
	// more than that.
	if o := push(1); o.Result != registry.Rejected || o.Reason != fsm.ReasonNotAvailable {
		t.Fatalf("no proof: %+v", o)
	}
	before, _ := k.node.FSM().Status()
	// Refused proofs write nothing.
	ch := challenge()
	for _, bad := range []struct {
		name    string
		citizen string
		chip    fakeChip
		code    int
	}{
		{"forged chip data", visitor, fakeChip{ID: visitor, Forged: true}, http.StatusForbidden},
		{"another citizen's chip", visitor, fakeChip{ID: "092090001234", Signed: ch}, http.StatusForbidden},
		{"signature over another challenge", visitor, fakeChip{ID: visitor, Signed: "0102030405060708"}, http.StatusForbidden},
	} {
		if code, _, b := prove(bad.citizen, ch, bad.chip); code != bad.code {
			t.Fatalf("%s: %d %s", bad.name, code, b)
		}
	}
	if after, _ := k.node.FSM().Status(); after.Commands != before.Commands+1 { // the challenge itself
		t.Fatalf("refused proofs wrote: applied index %d → %d", before.AppliedIndex, after.AppliedIndex)
	}
	// The chip signs the city's challenge: the record is released and the
	// visitor's registration applies.
	code, pr, b := prove(visitor, ch, fakeChip{ID: visitor, Signed: ch})
	if code != http.StatusOK || !pr.AA || pr.Review || pr.Record == nil || pr.Record.ID != visitor {
		t.Fatalf("proof: %d %s", code, b)
	}
	if code, _, b := prove(visitor, ch, fakeChip{ID: visitor, Signed: ch}); code != http.StatusConflict || !bytes.Contains(b, []byte("already used")) {
		t.Fatalf("replayed proof: %d %s", code, b)
	}
	if o := push(2); o.Result != registry.Applied {
		t.Fatalf("with proof: %+v", o)
	}
	// A chip without active authentication: verified data, no record, and
	// changes go to review.
	code, pr, b = prove(visitor, "", fakeChip{ID: visitor})
	if code != http.StatusOK || pr.AA || !pr.Review || pr.Record != nil {
		t.Fatalf("proof without AA: %d %s", code, b)
	}
	if o := push(3); o.Result != registry.NeedsReview {
		t.Fatalf("with a proof without AA: %+v", o)
	}
}
