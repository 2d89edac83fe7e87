package cityapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// push accepts a batch of changes from an edge and answers with each
// change's outcome once the batch is committed. An edge may only push
// changes it recorded: every change's node must be the caller.
func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if s.edgeSpent(w, s.pushes, c.id, "changes") {
		return
	}
	body, err := readBody(r, wire.MaxBodyBytes)
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "push body: %v", err)
		return
	}
	changes, err := wire.DecodeChanges(body)
	if err != nil {
		httpError(w, http.StatusBadRequest, "push body: %v", err)
		return
	}
	for _, ch := range changes {
		if ch.Node != c.id {
			httpError(w, http.StatusForbidden, "node %q may not push change %s recorded by %q", c.id, ch.ID(), ch.Node)
			return
		}
	}
	if !s.admitEdge(w, s.pushes, c.id, len(changes), "changes") {
		return
	}
	if len(changes) == 0 {
		w.Header().Set("Content-Type", wire.ContentOutcomes)
		w.Write(wire.EncodeOutcomes(nil))
		return
	}
	leader := s.forwarder()
	outs, err := cluster.Push(r.Context(), leader, c.sender(), changes)
	if err != nil {
		applyError(w, err)
		return
	}
	if leader.via != "" {
		w.Header().Set(wire.HeaderLeader, leader.via)
	}
	for _, o := range outs {
		s.m.changes.Inc(string(o.Result))
	}
	w.Header().Set("Content-Type", wire.ContentOutcomes)
	w.Write(wire.EncodeOutcomes(outs))
}

// importBatch is how many records go into one raft entry.
const importBatch = 1000

// importRecords loads a population file (JSON Lines of citizens) through
// raft in batches, and answers with the number of records loaded.
func (s *Server) importRecords(w http.ResponseWriter, r *http.Request) {
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var batch []*registry.Citizen
	total, line := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := cluster.Import(r.Context(), s.forwarder(), callerOf(r).sender(), batch)
		if err != nil {
			return err
		}
		total += n
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		c := new(registry.Citizen)
		if err := json.Unmarshal(sc.Bytes(), c); err != nil {
			httpError(w, http.StatusBadRequest, "line %d: %v (%d records loaded before it)", line, err, total)
			return
		}
		if _, err := registry.ParseID(c.ID); err != nil {
			httpError(w, http.StatusBadRequest, "line %d: %v (%d records loaded before it)", line, err, total)
			return
		}
		if batch = append(batch, c); len(batch) == importBatch {
			if err := flush(); err != nil {
				applyError(w, err)
				return
			}
		}
	}
	if err := sc.Err(); err != nil {
		httpError(w, http.StatusBadRequest, "line %d: %v (%d records loaded before it)", line, err, total)
		return
	}
	if err := flush(); err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ImportResult{Imported: total})
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	var a api.Assignment
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&a); err != nil {
		httpError(w, http.StatusBadRequest, "assignment: %v", err)
		return
	}
	if err := certs.ValidNodeID(a.Node); err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	for _, c := range a.Communes {
		if len(c) != 5 || !isDigits(c) {
			httpError(w, http.StatusBadRequest, "commune code %q must be 5 digits", c)
			return
		}
	}
	slices.Sort(a.Communes)
	if _, err := s.apply(r.Context(), &fsm.Command{Kind: fsm.KindAssign, From: callerOf(r).sender(), Node: a.Node, Communes: slices.Compact(a.Communes)}); err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	var j api.JoinRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&j); err != nil {
		httpError(w, http.StatusBadRequest, "join: %v", err)
		return
	}
	c := callerOf(r)
	if f := r.Header.Get(api.HeaderForwardedFor); f != "" && c.role == certs.RoleCity {
		role, id, ok := strings.Cut(f, "/")
		if !ok || certs.Role(role) != certs.RoleCity {
			httpError(w, http.StatusBadRequest, "join: forwarded for %q", f)
			return
		}
		c = caller{id: id, role: certs.Role(role)}
	}
	if c.id != j.ID {
		httpError(w, http.StatusForbidden, "node %q may not join as %q", c.id, j.ID)
		return
	}
	if j.ID == "" || j.RaftAddr == "" {
		httpError(w, http.StatusBadRequest, "join needs id and raft_addr")
		return
	}
	if err := s.checkJoiner(r.Context(), j); err != nil {
		httpError(w, http.StatusConflict, "join: %v", err)
		return
	}
	err := s.cfg.Cluster.Join(j.ID, j.RaftAddr)
	var nl *cluster.NotLeaderError
	if errors.As(err, &nl) && r.Header.Get(api.HeaderForwardedFor) == "" && s.forwardJoin(w, r, nl.LeaderID, c, j) {
		return
	}
	if err != nil {
		applyError(w, err)
		return
	}
	if j.APIURL != "" {
		if _, err := s.cfg.Cluster.Apply(r.Context(), &fsm.Command{Kind: fsm.KindPeer, From: s.self(), Node: j.ID, URL: j.APIURL}); err != nil {
			applyError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, j)
}

// forwardJoin passes a join to the leader, so that a node may name any
// member in --join; it reports whether it answered the request.
func (s *Server) forwardJoin(w http.ResponseWriter, r *http.Request, leader string, c caller, j api.JoinRequest) bool {
	peers, err := s.cfg.Cluster.FSM().Peers()
	url := peers[leader]
	if s.peers == nil || err != nil || url == "" {
		return false
	}
	body, _ := json.Marshal(j)
	req, err := http.NewRequestWithContext(r.Context(), api.PostJoin.Method, url+api.PostJoin.Path, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.HeaderForwardedFor, string(c.role)+"/"+c.id)
	resp, err := s.peers.Do(req)
	if err != nil {
		httpError(w, http.StatusBadGateway, "join: forwarding to the leader %s at %s: %v", leader, url, err)
		return true
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	w.Write(b)
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) bundle(w http.ResponseWriter, r *http.Request) {
	commune := r.PathValue("commune")
	c := callerOf(r)
	if c.role == certs.RoleEdge {
		communes, err := s.cfg.Cluster.FSM().NodeCommunes(c.id)
		if err != nil {
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if !slices.Contains(communes, commune) {
			httpError(w, http.StatusForbidden, "node %q is not assigned commune %s", c.id, commune)
			return
		}
		// A request for a version not yet built costs a build: a box asks
		// when its subset moved, a stolen one may not ask without end.
		if !s.admitEdge(w, s.fetches, c.id, 1, "bundle requests") {
			return
		}
	}
	asked := "delta"
	if q := r.URL.Query().Get("since"); q == "" || q == "0" {
		asked = "full"
	}
	s.m.bundles.Inc(asked)
	s.serveBundle(w, r, commune)
}

// remove takes a city node out of the raft configuration (a node being
// replaced or lost for good). Only the leader can; others answer 503 with
// the leader's ID.
func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	var j api.Removal
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&j); err != nil || j.ID == "" {
		httpError(w, http.StatusBadRequest, "remove needs {\"id\": NODE}: %v", err)
		return
	}
	if j.ID == s.cfg.Cluster.ID() {
		httpError(w, http.StatusBadRequest, "a node does not remove itself: ask another member (%s leads)", j.ID)
		return
	}
	if err := s.cfg.Cluster.Remove(j.ID); err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Removed{Removed: j.ID})
}
