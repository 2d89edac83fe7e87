package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/wire"
	"github.com/xanode/xanode/webui"
)

// Citizens of other communes at this desk (DESIGN.md, "Authority"). A
// card whose citizen is not in the local data is a visitor's: the chip
// signs a challenge — the city's when the city answers before the read,
// else one of this box's own — and the read becomes a proof of presence.
// Online, the proof goes to the city at once; with the chip's signature
// over the city's challenge the city releases the record and the office
// acts for the citizen like for a resident. Without it (a card without
// active authentication, the city out of reach, or an earlier proof of the
// citizen still waiting) the officer works from the chip's verified data,
// the proof waits in the store and goes before the changes, and the city
// sends them to review.

// Waits of the visitor flow. The challenge is asked before every read
// whose citizen may be a visitor, so it must not hold the read up when
// the uplink is poor; the proof is one request after the read.
const (
	challengeWait = 3 * time.Second
	proofWait     = 15 * time.Second
)

// challengeFor returns the challenge the chip is to sign at this tap: nil
// when the typed ID is a resident's (or nothing can be served to a
// visitor: no subset, or frozen), the city's when it answers in time, and
// else one of the box's own (fromCity false), so that the read still makes
// a proof for later.
func (a *officerUI) challengeFor(ctx context.Context, key webui.CardKey) (challenge []byte, fromCity bool) {
	l := a.n.current()
	if l == nil || l.edge.CheckFrozen() != nil {
		return nil, false
	}
	if _, err := l.store.Subset(); err != nil {
		return nil, false
	}
	if key.ID != "" {
		if c, err := l.store.Citizen(key.ID); err == nil && c != nil {
			return nil, false
		}
	}
	cctx, cancel := context.WithTimeout(ctx, challengeWait)
	defer cancel()
	if ch, err := l.city.Challenge(cctx); err == nil {
		if b, err := hex.DecodeString(ch.Challenge); err == nil {
			return b, true
		}
	} else {
		a.n.log.Info("no presence challenge from the city before the read: a visitor's card will be served from its chip data", "err", err)
	}
	own := make([]byte, 8)
	rand.Read(own)
	return own, false
}

// visit serves the citizen of a card read at the desk who is not in the
// local data: it returns what the officer may work with, or why not (a
// webui.Visit* problem). fromCity says whether the chip signed the city's
// challenge.
func (a *officerUI) visit(ctx context.Context, officer string, res *reader.Result, fromCity bool) (*webui.Visit, string, error) {
	e, store, err := a.live()
	if err != nil {
		return nil, "", err
	}
	switch res.Assurance {
	case reader.AssuranceChipVerified, reader.AssuranceChipCloningChecked:
	default:
		return nil, webui.VisitUnverified, nil // data the box could not verify back nothing
	}
	p, err := res.Proof()
	if err != nil {
		return nil, webui.VisitUnverified, nil
	}
	raw, err := p.Marshal()
	if err != nil {
		return nil, webui.VisitUnverified, nil
	}
	v := &webui.Visit{ID: res.ID, Source: webui.VisitChip, Record: chipRecord(res), Review: true, Read: a.now()}
	earlier, err := store.HasProof(res.ID)
	if err != nil {
		return nil, "", err
	}
	if fromCity && !earlier {
		pctx, cancel := context.WithTimeout(ctx, proofWait)
		resp, err := a.n.current().city.Presence(pctx, &wire.PresenceRequest{Citizen: res.ID, Challenge: hex.EncodeToString(res.AAChallenge), Proof: raw})
		cancel()
		switch {
		case err == nil:
			a.granted(v, resp)
			if err := identifiedVisitor(e, officer, v, res); err != nil {
				return nil, "", err
			}
			return v, "", nil
		case errors.Is(err, client.ErrRefused) && httpStatus(err, http.StatusNotFound):
			a.n.log.Warn("proof of presence: the city has no record of the citizen", "citizen", res.ID, "err", err)
			return nil, webui.VisitUnknown, nil
		case errors.Is(err, client.ErrRefused) && httpStatus(err, http.StatusForbidden):
			a.n.log.Warn("proof of presence refused by the city", "citizen", res.ID, "err", err)
			return nil, webui.VisitRefused, nil
		}
		a.n.log.Warn("proof of presence not delivered: the visitor is served from the chip data, the proof waits for the city", "citizen", res.ID, "err", err)
	}
	v.Offline, v.Earlier, v.Proof = !earlier, earlier, raw
	return v, "", nil
}

// httpStatus reports whether the city answered err with status.
func httpStatus(err error, status int) bool {
	var se *client.StatusError
	return errors.As(err, &se) && se.Code == status
}

// granted fills a visit from the city's answer to a proof.
func (a *officerUI) granted(v *webui.Visit, resp *wire.PresenceResponse) {
	v.Until, v.Review, v.NoAA = resp.Until, resp.Review, !resp.AA
	if resp.Record == nil {
		return
	}
	v.Source, v.Record = webui.VisitCity, resp.Record
	v.Commune = resp.Record.Get(registry.FieldCommune)
	v.CommuneName, _ = gen.CommuneName(v.Commune)
}

// identifiedVisitor records the identification of a visitor the city
// granted, for the history at the city (with the grant, even one for
// review, an identification applies); the read is in the audit log
// already.
func identifiedVisitor(e *edge.Edge, officer string, v *webui.Visit, res *reader.Result) error {
	how := "chip data only"
	if v.Source == webui.VisitCity {
		how = "record released"
	}
	detail := string(res.Assurance) + "; visitor, proof of presence sent (" + how + ")"
	_, err := e.Record(edge.Draft{Officer: officer, Op: registry.OpIdentify, Citizen: v.ID, Note: detail, Base: v.Record.Version})
	return err
}

// chipRecord is the record the chip's verified data make, for the forms
// of a visitor whose record the city did not release: every value
// normalized, nothing the chip does not say.
func chipRecord(res *reader.Result) *registry.Citizen {
	c := &registry.Citizen{ID: res.ID}
	for f, v := range ChipFields(res) {
		if nv, err := f.Normalize(v); err == nil {
			c.Values[f] = nv
		}
	}
	return c
}

// recordVisit checks a visitor's draft and queues the visit's proof, when
// the city does not have it yet, before the change: the push loop sends
// it first. It returns the record version the officer saw.
func recordVisit(store *edge.Store, d webui.Draft) (uint64, error) {
	v := d.Visit
	if v.ID != d.Citizen || v.Record == nil {
		return 0, fmt.Errorf("%w: the visit is %s's, the change %s's", registry.ErrChange, v.ID, d.Citizen)
	}
	if r, ok := registry.AuthorityOf(d.Op, registry.RoleEdge); !ok || (r.Reach != registry.ReachVisitor && r.Reach != registry.ReachArriving) {
		return 0, fmt.Errorf("%w: %s is not recorded for a citizen of another commune", registry.ErrChange, d.Op)
	}
	if v.Proof != nil {
		if err := store.QueueProof(edge.QueuedProof{Citizen: v.ID, Proof: v.Proof, Read: v.Read, Officer: d.Officer}); err != nil {
			return 0, err
		}
	}
	return v.Record.Version, nil
}
