package cityapi

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// ErrLeaderUnreachable: this node knows the leader but cannot reach it
// (answered 503 with Retry-After: the caller tries again, here or at
// another node).
var ErrLeaderUnreachable = errors.New("cityapi: the leader is unreachable from this node")

// apply replicates a command through the leader: here when this node
// leads, otherwise forwarded over mutual TLS to the leader's API, so that
// any city node accepts any request.
func (s *Server) apply(ctx context.Context, cmd *fsm.Command) (any, error) {
	res, _, err := s.applyVia(ctx, cmd)
	return res, err
}

// forwarder is the server's apply as a cluster.Applier, for the typed
// commands (cluster.Push and the others); via is the leader's API URL the
// last command was forwarded to ("" when this node applied it).
type forwarder struct {
	s   *Server
	via string
}

func (s *Server) forwarder() *forwarder { return &forwarder{s: s} }

// Apply implements cluster.Applier.
func (f *forwarder) Apply(ctx context.Context, cmd *fsm.Command) (any, error) {
	res, via, err := f.s.applyVia(ctx, cmd)
	f.via = via
	return res, err
}

// applyVia is apply that also says which leader API URL the command was
// forwarded to ("" when this node applied it).
func (s *Server) applyVia(ctx context.Context, cmd *fsm.Command) (res any, via string, err error) {
	start := time.Now()
	defer func() {
		if !errors.Is(err, cluster.ErrRefused) { // a refusal is the FSM's answer, not a failure to commit
			s.m.observeApply(cmd.Kind, start, err)
		}
	}()
	res, err = s.cfg.Cluster.Apply(ctx, cmd)
	var nl *cluster.NotLeaderError
	if !errors.As(err, &nl) || nl.LeaderID == "" || s.peers == nil {
		return res, "", err
	}
	peers, perr := s.cfg.Cluster.FSM().Peers()
	url := peers[nl.LeaderID]
	if perr != nil || url == "" {
		return nil, "", err // the leader is not reachable by API: the caller retries elsewhere
	}
	res, err = s.forward(ctx, url, cmd)
	return res, url, err
}

func (s *Server) forward(ctx context.Context, leaderURL string, cmd *fsm.Command) (any, error) {
	req, err := http.NewRequestWithContext(ctx, api.PostApply.Method, leaderURL+api.PostApply.Path, bytes.NewReader(cmd.Encode()))
	if err != nil {
		return nil, err
	}
	resp, err := s.peers.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: forwarding to the leader at %s: %v", ErrLeaderUnreachable, leaderURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: forwarding to the leader at %s: %v", ErrLeaderUnreachable, leaderURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e api.Error
		json.Unmarshal(body, &e)
		switch resp.StatusCode {
		case http.StatusServiceUnavailable:
			return nil, &cluster.NotLeaderError{LeaderID: e.Leader}
		case http.StatusConflict:
			return nil, fmt.Errorf("%w: %s", cluster.ErrRefused, strings.TrimPrefix(e.Error, cluster.ErrRefused.Error()+": "))
		case http.StatusTooManyRequests:
			return nil, &limitedError{retryAfter: resp.Header.Get("Retry-After"), msg: e.Error}
		}
		return nil, fmt.Errorf("cityapi: leader at %s answered %s: %s", leaderURL, resp.Status, e.Error)
	}
	return decodeResult(cmd.Kind, body)
}

// applyForwarded is the leader's side of forwarding: a city node sends a
// command it has authorised; only city nodes may call it.
func (s *Server) applyForwarded(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, wire.MaxBodyBytes)
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "%v", err)
		return
	}
	cmd, err := fsm.DecodeCommand(body)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.admitForwarded(w, cmd) {
		return
	}
	res, err := s.cfg.Cluster.Apply(r.Context(), cmd) // never forwarded again: no loops
	if err != nil {
		applyError(w, err)
		return
	}
	b, err := encodeResult(cmd.Kind, res)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Write(b)
}

// admitForwarded charges the edge a forwarded command was sent by (or, for
// key slots, which a city node sends for an edge, the edge it names)
// against this node's allowance for it, as the handler that received it
// did there: pushes and audit batches (--edge-limit), presence
// challenges, renewals, key escrows and unlocks. Every command is decided by the leader, through its own
// handlers or here, so the leader's count is the city's, and a box
// spreading its requests over the city nodes gets each limit once, not
// once per node (DESIGN.md "Trust model"). The forwarding node has
// charged its own allowance too: a box never has more than the leader
// allows.
func (s *Server) admitForwarded(w http.ResponseWriter, cmd *fsm.Command) bool {
	if k := cmd.NodeKey; cmd.Kind == fsm.KindNodeKey && k != nil {
		if k.Op == fsm.NodeKeyEscrow {
			return s.admitOne(w, s.escrows, k.Node, "key escrows")
		}
		return s.admitOne(w, s.slots.perNode, k.Node, "unlock requests")
	}
	if cmd.From.Role != registry.RoleEdge {
		return true
	}
	node := cmd.From.ID
	switch {
	case cmd.Kind == fsm.KindChanges:
		return s.admitEdge(w, s.pushes, node, len(cmd.Changes), "changes")
	case cmd.Kind == fsm.KindAudit && cmd.Fleet != nil:
		return s.admitEdge(w, s.audits, node, len(cmd.Fleet.Audit), "audit entries")
	case cmd.Kind == fsm.KindChallenge:
		return s.admitOne(w, s.challenges, node, "presence challenges")
	case cmd.Kind == fsm.KindCert:
		return s.admitOne(w, s.renews, node, "renewals")
	}
	return true
}

// limitedError is the leader's 429 to a forwarded send, which the
// forwarding node gives the edge as it came, Retry-After included.
type limitedError struct{ retryAfter, msg string }

func (e *limitedError) Error() string { return e.msg }

// encodeResult and decodeResult carry the FSM's response to a command
// between city nodes.
func encodeResult(kind fsm.Kind, res any) ([]byte, error) {
	switch kind {
	case fsm.KindChanges:
		outs, ok := res.([]*registry.Outcome)
		if !ok {
			return nil, fmt.Errorf("cityapi: unexpected response %T to changes", res)
		}
		return wire.EncodeOutcomes(outs), nil
	case fsm.KindImport:
		n, _ := res.(int)
		return binary.AppendUvarint(nil, uint64(n)), nil
	case fsm.KindResolve, fsm.KindCorrect:
		o, ok := res.(*registry.Outcome)
		if !ok {
			return nil, fmt.Errorf("cityapi: unexpected response %T", res)
		}
		return wire.EncodeOutcomes([]*registry.Outcome{o}), nil
	case fsm.KindEnroll, fsm.KindAudit, fsm.KindPresence, fsm.KindTrust, fsm.KindFindingReview, fsm.KindQualitySweep:
		return json.Marshal(res)
	case fsm.KindNodeKey:
		return encodeNodeKeyResult(res)
	}
	return nil, nil
}

func decodeResult(kind fsm.Kind, b []byte) (any, error) {
	switch kind {
	case fsm.KindChanges:
		return wire.DecodeOutcomes(b)
	case fsm.KindImport:
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errors.New("cityapi: malformed import count from the leader")
		}
		return int(n), nil
	case fsm.KindResolve, fsm.KindCorrect:
		outs, err := wire.DecodeOutcomes(b)
		if err != nil || len(outs) != 1 {
			return nil, fmt.Errorf("cityapi: malformed outcome from the leader: %v", err)
		}
		return outs[0], nil
	case fsm.KindEnroll:
		er := &fsm.EnrollResult{}
		if err := json.Unmarshal(b, er); err != nil {
			return nil, fmt.Errorf("cityapi: malformed enrollment result from the leader: %v", err)
		}
		return er, nil
	case fsm.KindAudit:
		ar := &fsm.AuditResult{}
		if err := json.Unmarshal(b, ar); err != nil {
			return nil, fmt.Errorf("cityapi: malformed audit result from the leader: %v", err)
		}
		return ar, nil
	case fsm.KindTrust:
		tr := &fsm.TrustResult{}
		if err := json.Unmarshal(b, tr); err != nil {
			return nil, fmt.Errorf("cityapi: malformed trust result from the leader: %v", err)
		}
		return tr, nil
	case fsm.KindPresence:
		g := &fsm.Presence{}
		if err := json.Unmarshal(b, g); err != nil {
			return nil, fmt.Errorf("cityapi: malformed presence grant from the leader: %v", err)
		}
		return g, nil
	case fsm.KindNodeKey:
		return decodeNodeKeyResult(b)
	case fsm.KindFindingReview:
		return decodeJSONResult(b, &fsm.Finding{})
	case fsm.KindQualitySweep:
		return decodeJSONResult(b, &fsm.SweepResult{})
	}
	return nil, nil
}

// decodeJSONResult reads a JSON result of the leader into v.
func decodeJSONResult[T any](b []byte, v *T) (*T, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("cityapi: malformed %T from the leader: %v", v, err)
	}
	return v, nil
}
