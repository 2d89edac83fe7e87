package cityapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// Proof of presence (DESIGN.md, "Trust model"): how an office reaches a
// citizen of another commune. The edge asks for a challenge, has the chip
// sign it (active authentication), and sends the chip's files with the
// signature; this node verifies them itself against the city's CSCA
// store, and only then proposes the grant. The answer to an edge that
// cannot prove presence is always the same: not available to this office.

// PresenceVerifier checks a proof of presence: passive authentication of
// the chip's signed data against the city's CSCA store and, when the chip
// offers active authentication, its signature over challenge. Package node
// wires reader/presence; it is called concurrently.
type PresenceVerifier interface {
	VerifyPresence(proof, challenge []byte, now time.Time) (*VerifiedChip, error)
}

// VerifiedChip is what a verified proof says.
type VerifiedChip struct {
	ID   string // the 12-digit personal ID the chip carries
	AA   bool   // the chip signed the challenge
	Chip fsm.ChipSummary
}

// ErrNotAuthentic is wrapped by a PresenceVerifier's error for a proof
// that is well formed but not genuine (answered 403, not 400).
var ErrNotAuthentic = errors.New("cityapi: the chip data is not authentic")

// Limits of the presence endpoints.
const (
	maxProofBody    = 384 << 10
	challengeLimit  = 30 // challenges per node per minute: an office's desk, not a harvest
	challengeWindow = time.Minute
)

func (s *Server) presenceRoutes() {
	s.handle(api.PostPresenceChallenge, s.presenceChallenge)
	s.handle(api.PostPresence, s.presence)
}

func (s *Server) presenceChallenge(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if !s.admitOne(w, s.challenges, c.id, "presence challenges") {
		return
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	ch := hex.EncodeToString(b[:])
	if _, err := s.apply(r.Context(), &fsm.Command{Kind: fsm.KindChallenge, From: c.sender(),
		Presence: &fsm.PresenceOp{Node: c.id, Challenge: ch}}); err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Challenge{Challenge: ch, Expires: s.cfg.Now().Add(fsm.ChallengeTTL)})
}

func (s *Server) presence(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if s.cfg.Presence == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node has no CSCA trust store to verify chips with (xanode city --csca): ask another")
		return
	}
	var req wire.PresenceRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxProofBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "proof of presence: %v", err)
		return
	}
	if _, err := registry.ParseID(req.Citizen); err != nil {
		httpError(w, http.StatusBadRequest, "proof of presence: %v", err)
		return
	}
	challenge, err := hex.DecodeString(req.Challenge)
	if err != nil || (req.Challenge != "" && len(challenge) != 8) {
		httpError(w, http.StatusBadRequest, "proof of presence: challenge %q must be 8 bytes in hex", req.Challenge)
		return
	}
	v, err := s.cfg.Presence.VerifyPresence(req.Proof, challenge, s.cfg.Now())
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrNotAuthentic) {
			code = http.StatusForbidden
		}
		s.log.Warn("proof of presence refused", "node", c.id, "citizen", req.Citizen, "err", err)
		httpError(w, code, "proof of presence refused: %v", err)
		return
	}
	if v.ID != req.Citizen {
		httpError(w, http.StatusForbidden, "proof of presence refused: the chip is citizen %s's, not %s's", v.ID, req.Citizen)
		return
	}
	op := &fsm.PresenceOp{Node: c.id, Citizen: v.ID, AA: v.AA, VerifiedBy: s.cfg.Cluster.ID(), Chip: &v.Chip}
	if v.AA {
		op.Challenge = req.Challenge
		// A replay is refused before the log. (A challenge this replica
		// has not seen yet may be replication lag: the leader decides.)
		if err := s.cfg.Cluster.FSM().CheckChallenge(c.id, req.Challenge, s.cfg.Now()); errors.Is(err, fsm.ErrChallengeUsed) {
			httpError(w, http.StatusConflict, "proof of presence refused: %v", err)
			return
		}
	}
	g, err := cluster.GrantPresence(r.Context(), s.forwarder(), c.sender(), op)
	if err != nil {
		if errors.Is(err, fsm.ErrPresenceCitizen) {
			httpError(w, http.StatusNotFound, "%s", ReasonNotAvailable)
			return
		}
		applyError(w, err) // a replayed or unknown challenge: 409
		return
	}
	out := wire.PresenceResponse{Citizen: v.ID, AA: v.AA, Review: !v.AA, Until: g.Until, Chip: &v.Chip}
	if v.AA {
		if out.Record, err = s.cfg.Cluster.FSM().Citizen(v.ID); err != nil {
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		}
	} else {
		out.Note = "the chip signed no challenge of the city (a card without active authentication, or a read while the city was out of reach): its data is verified, and changes this office records for the citizen go to review"
	}
	s.log.Info("proof of presence granted", "node", c.id, "citizen", v.ID, "aa", v.AA, "until", g.Until)
	writeJSON(w, http.StatusOK, out)
}

// ReasonNotAvailable is what an office hears about a citizen it cannot
// reach, whatever the reason (fsm.ReasonNotAvailable).
const ReasonNotAvailable = fsm.ReasonNotAvailable
