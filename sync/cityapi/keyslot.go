package cityapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// An edge box's city key slot (see sync/fsm/nodekey.go). The edge escrows
// its slot secret over mTLS (POST /v1/keyslot); a locked edge, whose mTLS
// key is sealed until it unlocks, asks for the secret without a client
// certificate (POST /v1/unlock), with a request its unlock key signed over
// a nonce this city node issued (GET /v1/unlock/challenge). The city
// answers the secret only while the node is active, records each unlock
// on the node's fleet record through raft, and limits the requests per
// node and per source address.

// Unlock limits: per node and per source address, in a window (addrLimiter).
const (
	unlockWindow  = 10 * time.Minute
	unlockPerNode = 10
	unlockPerAddr = 30
	// escrowPerHour bounds a box's escrows (each writes the log): one at
	// enrollment and after a rekey, a few retries.
	escrowPerHour   = 6
	nonceLife       = 2 * time.Minute
	maxUnlockBody   = 4 << 10
	maxEscrowBody   = 4 << 10
	nonceRandomSize = 16
)

// slotGuard holds this city node's nonce key, the nonces used, and the
// request limits. Nonces are valid only on the node that issued them.
type slotGuard struct {
	key []byte

	perNode, perAddr *addrLimiter // unlock requests per node and per source address

	mu   gosync.Mutex
	used map[string]time.Time // nonce → expiry
}

func newSlotGuard() *slotGuard {
	k := make([]byte, 32)
	rand.Read(k)
	return &slotGuard{key: k, used: map[string]time.Time{},
		perNode: newAddrLimiter(unlockPerNode, unlockWindow), perAddr: newAddrLimiter(unlockPerAddr, unlockWindow)}
}

func (g *slotGuard) mac(b []byte) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write(b)
	return m.Sum(nil)[:16]
}

// nonce makes a nonce for node valid until now+nonceLife.
func (g *slotGuard) nonce(node string, now time.Time) string {
	b := make([]byte, nonceRandomSize, nonceRandomSize+8+16)
	rand.Read(b)
	b = binary.BigEndian.AppendUint64(b, uint64(now.Add(nonceLife).UnixMilli()))
	b = append(b, g.mac(append([]byte(node+"\x00"), b...))...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// spend checks a nonce for node and marks it used.
func (g *slotGuard) spend(node, nonce string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceRandomSize+8+16 {
		return false
	}
	body, tag := b[:nonceRandomSize+8], b[nonceRandomSize+8:]
	expires := time.UnixMilli(int64(binary.BigEndian.Uint64(body[nonceRandomSize:])))
	if !hmac.Equal(tag, g.mac(append([]byte(node+"\x00"), body...))) || !now.Before(expires) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for n, exp := range g.used {
		if !now.Before(exp) {
			delete(g.used, n)
		}
	}
	if _, seen := g.used[nonce]; seen {
		return false
	}
	g.used[nonce] = expires
	return true
}

// escrowKey stores the calling edge's slot secret through raft.
func (s *Server) escrowKey(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if !s.admitOne(w, s.escrows, c.id, "key escrows") {
		return
	}
	var req wire.KeyEscrow
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEscrowBody)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "key slot: %v", err)
		return
	}
	if len(req.Public) != ed25519.PublicKeySize || len(req.Secret) != 32 {
		httpError(w, http.StatusBadRequest, "key slot: want a %d-byte public key and a 32-byte secret", ed25519.PublicKeySize)
		return
	}
	// Sent by this city node, for the edge its mTLS connection names.
	_, err := s.apply(r.Context(), &fsm.Command{Kind: fsm.KindNodeKey, From: s.self(), NodeKey: &fsm.NodeKeyOp{
		Op: fsm.NodeKeyEscrow, Node: c.id, Public: req.Public, Secret: req.Secret}})
	if err != nil {
		if errors.Is(err, errRefused) {
			httpError(w, http.StatusForbidden, "%v", err)
			return
		}
		applyError(w, err)
		return
	}
	s.log.Info("edge escrowed its key slot secret", "node", c.id)
	writeJSON(w, http.StatusOK, struct{}{})
}

// unlockChallenge issues a nonce for a node's next unlock request.
func (s *Server) unlockChallenge(w http.ResponseWriter, r *http.Request) {
	node := r.URL.Query().Get("node")
	if node == "" || len(node) > 64 {
		httpError(w, http.StatusBadRequest, "unlock challenge: give ?node=NODE")
		return
	}
	now := s.cfg.Now()
	writeJSON(w, http.StatusOK, wire.UnlockChallenge{Nonce: s.slots.nonce(node, now), Time: now.UTC()})
}

// unlock answers a locked edge: its slot secret, if it is active and
// signed a fresh nonce with the unlock key it escrowed.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	var req wire.UnlockRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUnlockBody)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "unlock: %v", err)
		return
	}
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	ok, wait := s.slots.perAddr.allow(addr, now)
	if ok {
		ok, wait = s.slots.perNode.allow(req.Node, now)
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.log.Warn("unlock rate limited", "node", req.Node, "remote", addr)
		httpError(w, http.StatusTooManyRequests, "unlock: too many requests for this node or from this address; retry later")
		return
	}
	if !s.slots.spend(req.Node, req.Nonce, now) {
		httpError(w, http.StatusUnauthorized, "unlock: nonce unknown, used or expired; ask GET /v1/unlock/challenge on this city node")
		return
	}
	info, err := s.cfg.Cluster.FSM().NodeKey(req.Node)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	switch {
	case info.State == fsm.NodeRevoked || info.State == fsm.NodeSuspended:
		// Not secret, and the revoked box must hear it: its key is gone.
		s.log.Warn("unlock refused", "node", req.Node, "state", info.State, "remote", addr)
		writeJSON(w, http.StatusForbidden, wire.UnlockAnswer{State: info.State, Reason: info.Reason, Error: "node " + info.State})
		return
	case info.Public == nil:
		writeJSON(w, http.StatusNotFound, wire.UnlockAnswer{State: info.State, Error: fsm.ErrNoNodeKey.Error()})
		return
	case !ed25519.Verify(info.Public, wire.UnlockMessage(req.Node, req.Nonce, req.Probe), req.Signature):
		s.log.Warn("unlock refused: bad signature", "node", req.Node, "remote", addr)
		httpError(w, http.StatusUnauthorized, "unlock: %v", fsm.ErrUnlockKey)
		return
	case req.Probe:
		writeJSON(w, http.StatusOK, wire.UnlockAnswer{State: info.State})
		return
	}
	nk, err := cluster.NodeKey(r.Context(), s.forwarder(), s.self(), &fsm.NodeKeyOp{
		Op: fsm.NodeKeyUnlock, Node: req.Node, Public: info.Public, From: addr})
	if err != nil {
		s.unlockRefused(w, err)
		return
	}
	if len(nk.Secret) == 0 {
		httpError(w, http.StatusInternalServerError, "the city's answer to an unlock holds no secret")
		return
	}
	s.log.Info("edge unlocked through its city key slot", "node", req.Node, "remote", addr)
	writeJSON(w, http.StatusOK, wire.UnlockAnswer{State: fsm.NodeActive, Secret: nk.Secret})
}

// unlockRefused answers the FSM's refusal of an unlock, which may arrive
// as text from the leader.
func (s *Server) unlockRefused(w http.ResponseWriter, err error) {
	if !errors.Is(err, errRefused) {
		applyError(w, err)
		return
	}
	msg := err.Error()
	for _, st := range []struct {
		err   error
		state string
	}{{fsm.ErrRevoked, fsm.NodeRevoked}, {fsm.ErrSuspended, fsm.NodeSuspended}} {
		if errors.Is(err, st.err) || strings.Contains(msg, st.err.Error()) {
			writeJSON(w, http.StatusForbidden, wire.UnlockAnswer{State: st.state, Error: msg})
			return
		}
	}
	if errors.Is(err, fsm.ErrNoNodeKey) || strings.Contains(msg, fsm.ErrNoNodeKey.Error()) {
		writeJSON(w, http.StatusNotFound, wire.UnlockAnswer{Error: msg})
		return
	}
	httpError(w, http.StatusForbidden, "%v", err)
}

// encodeNodeKeyResult and decodeNodeKeyResult carry an unlock's answer
// from the leader to the node that forwarded it.
func encodeNodeKeyResult(res any) ([]byte, error) {
	if res == nil {
		return nil, nil
	}
	return json.Marshal(res)
}

func decodeNodeKeyResult(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	nk := &fsm.NodeKeyResult{}
	if err := json.Unmarshal(b, nk); err != nil {
		return nil, errors.New("cityapi: malformed unlock result from the leader")
	}
	return nk, nil
}
