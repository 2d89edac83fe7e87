package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/wire"
)

// The fleet of edge nodes is part of the replicated state, so that every
// city node refuses a revoked certificate at once and answers the fleet UI
// alike: enrollment tokens (by hash), each node's certificate serials and
// state, its last telemetry, and a day of telemetry samples for charts.

// Node states.
const (
	NodeActive    = "active"
	NodeSuspended = "suspended" // by the not-seen policy; city IT may reinstate
	NodeRevoked   = "revoked"   // by city IT; only a new enrollment undoes it
)

// Fleet errors: the FSM's verdict, the same on every replica; the API maps
// them to answers.
var (
	ErrTokenUnknown = errors.New("fleet: enrollment token unknown (made on another city, or mistyped)")
	ErrTokenUsed    = errors.New("fleet: enrollment token already used (make a new one with `xanode fleet token`)")
	ErrTokenExpired = errors.New("fleet: enrollment token expired (make a new one with `xanode fleet token`)")
	ErrRevoked      = errors.New("fleet: node revoked")
	ErrSuspended    = errors.New("fleet: node suspended")
	ErrSuperseded   = errors.New("fleet: certificate replaced by a newer enrollment or renewal")
	ErrUnknownNode  = errors.New("fleet: unknown node")
)

// seriesEvery spaces the telemetry samples kept for charts; seriesKeep is
// how far back they go.
const (
	seriesEvery = 5 * time.Minute
	seriesKeep  = 24 * time.Hour
)

// FleetOp is the payload of the fleet command kinds.
type FleetOp struct {
	Node      string            `json:"node"`
	Commune   string            `json:"commune,omitempty"`    // KindToken
	TokenHash string            `json:"token_hash,omitempty"` // KindToken, KindEnroll
	Expires   time.Time         `json:"expires,omitzero"`     // KindToken
	Serial    string            `json:"serial,omitempty"`     // KindEnroll, KindCert: the new certificate
	NotAfter  time.Time         `json:"not_after,omitzero"`   // KindEnroll, KindCert
	Reason    string            `json:"reason,omitempty"`     // KindRevoke, KindSuspend, KindReinstate
	By        string            `json:"by,omitempty"`         // who asked (admin certificate, or "policy")
	Telemetry *Telemetry        `json:"telemetry,omitempty"`  // KindTelemetry
	Audit     []wire.AuditEntry `json:"audit,omitempty"`      // KindAudit
}

// Telemetry is what an edge last reported about itself.
type Telemetry struct {
	Time           time.Time `json:"time"` // the edge's clock
	Software       string    `json:"software"`
	SubsetVersion  uint64    `json:"subset_version"`
	Outbox         int       `json:"outbox"`
	OldestUnsynced time.Time `json:"oldest_unsynced,omitzero"`
	LastSynced     time.Time `json:"last_synced,omitzero"`
	CertExpiry     time.Time `json:"cert_expiry,omitzero"`
	DiskFree       uint64    `json:"disk_free"`
	Findings       uint64    `json:"findings"`
	Stale          bool      `json:"stale,omitempty"`
	Frozen         bool      `json:"frozen,omitempty"`
	TrustVersion   uint64    `json:"trust_version,omitempty"` // of the signed CSCA trust list the edge holds
}

// NodeRecord is the fleet state of one edge node.
type NodeRecord struct {
	ID         string     `json:"id"`
	State      string     `json:"state"`
	Reason     string     `json:"reason,omitempty"`
	By         string     `json:"by,omitempty"`
	Changed    time.Time  `json:"changed,omitzero"` // when State last changed
	Enrolled   time.Time  `json:"enrolled,omitzero"`
	Serial     string     `json:"serial,omitempty"`      // current certificate
	PrevSerial string     `json:"prev_serial,omitempty"` // the one it renewed, valid until the edge switches
	CertExpiry time.Time  `json:"cert_expiry,omitzero"`
	LastSeen   time.Time  `json:"last_seen,omitzero"` // city clock of the last telemetry
	Telemetry  *Telemetry `json:"telemetry,omitempty"`
	// Key slot (nodekey.go): when the box escrowed its city slot secret
	// (zero: the city holds none), and its unlocks through the city.
	KeyEscrowed    time.Time `json:"key_escrowed,omitzero"`
	Unlocks        uint64    `json:"unlocks,omitempty"`
	LastUnlock     time.Time `json:"last_unlock,omitzero"`
	LastUnlockFrom string    `json:"last_unlock_from,omitempty"`
	// Filled on read, not stored here: the node's communes (KindAssign)
	// and the city's subset version of each.
	Communes     []string          `json:"communes"`
	CityVersions map[string]uint64 `json:"city_versions,omitempty"`
}

// Lag is how many raft entries the node's subset is behind the city's
// newest version of its communes (0 when unknown).
func (r *NodeRecord) Lag() uint64 {
	if r.Telemetry == nil {
		return 0
	}
	var lag uint64
	for _, v := range r.CityVersions {
		if v > r.Telemetry.SubsetVersion {
			lag = max(lag, v-r.Telemetry.SubsetVersion)
		}
	}
	return lag
}

// Sample is one point of a node's telemetry series.
type Sample struct {
	Time     time.Time `json:"time"` // city clock
	Lag      uint64    `json:"lag"`
	Outbox   int       `json:"outbox"`
	Findings uint64    `json:"findings"`
}

// tokenRecord is a stored enrollment token.
type tokenRecord struct {
	Commune string    `json:"commune"`
	Node    string    `json:"node"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	By      string    `json:"by,omitempty"`
	Used    time.Time `json:"used,omitzero"`
}

// TokenInfo is an enrollment token as the API sees it before use.
type TokenInfo struct {
	Commune, Node string
	Expires       time.Time
	Used          bool
	// PredatesRevocation: the node was revoked after the token was made,
	// so the token cannot undo the revocation (enroll refuses it).
	PredatesRevocation bool
}

// EnrollResult answers a KindEnroll entry.
type EnrollResult struct {
	Node    string   `json:"node"`
	Commune string   `json:"commune"`
	NextSeq uint64   `json:"next_seq"` // first change sequence number the node may use
	Peers   []string `json:"peers"`    // city API URLs
}

// nodeAuth is the in-memory copy of what every connection is checked
// against, so that the check costs no bbolt read.
type nodeAuth struct {
	state          string
	serial, prev   string
	reason         string
	hasCertRecords bool
}

// checkFleet refuses fleet commands that could not be applied.
func (c *Command) checkFleet() error {
	op := c.Fleet
	if op == nil || !validName(op.Node) {
		return errors.New("fleet command without a valid node")
	}
	if len(op.Reason) > 512 || len(op.By) > 128 {
		return errors.New("reason or author too long")
	}
	switch c.Kind {
	case KindToken:
		if !validCommune(op.Commune) || len(op.TokenHash) != 64 || op.Expires.IsZero() {
			return fmt.Errorf("token for %q/%q", op.Commune, op.Node)
		}
	case KindEnroll:
		if len(op.TokenHash) != 64 || op.Serial == "" || op.NotAfter.IsZero() {
			return errors.New("enrollment without token, serial or expiry")
		}
	case KindCert:
		if op.Serial == "" || op.NotAfter.IsZero() {
			return errors.New("certificate without serial or expiry")
		}
	case KindTelemetry:
		t := op.Telemetry
		if t == nil || t.Outbox < 0 || len(t.Software) > 64 {
			return errors.New("bad telemetry")
		}
	case KindAudit:
		b, _ := json.Marshal(op.Audit)
		if len(op.Audit) == 0 {
			return errors.New("empty audit batch")
		}
		if _, err := wire.DecodeAudit(b); err != nil {
			return err
		}
	}
	return nil
}

func validCommune(s string) bool {
	return len(s) == 5 && strings.Trim(s, "0123456789") == ""
}

func fleetKey(node string) []byte { return []byte(node) }

func (t *txn) loadNode(node string) *NodeRecord {
	v := t.get(bFleet, fleetKey(node))
	if v == nil {
		return nil
	}
	r := &NodeRecord{}
	if err := json.Unmarshal(v, r); err != nil {
		panic(fmt.Sprintf("fsm: fleet record of %s: %v", node, err))
	}
	return r
}

func (f *FSM) storeNode(t *txn, r *NodeRecord) {
	stored := *r
	stored.Communes, stored.CityVersions = nil, nil
	v, _ := json.Marshal(&stored)
	t.put(bFleet, fleetKey(r.ID), v, true)
	f.authMu.Lock()
	f.auth[r.ID] = authOf(r)
	f.authMu.Unlock()
}

func authOf(r *NodeRecord) nodeAuth {
	return nodeAuth{state: r.State, serial: r.Serial, prev: r.PrevSerial, reason: r.Reason, hasCertRecords: r.Serial != ""}
}

// applyFleet applies the fleet command kinds. An error response changes
// nothing.
func (f *FSM) applyFleet(t *txn, index uint64, cmd *Command) any {
	op, now := cmd.Fleet, cmd.Received
	switch cmd.Kind {
	case KindToken:
		v, _ := json.Marshal(tokenRecord{Commune: op.Commune, Node: op.Node, Created: now, Expires: op.Expires, By: op.By})
		t.put(bTokens, []byte(op.TokenHash), v, true)
		return nil
	case KindEnroll:
		return f.enroll(t, cmd)
	case KindCert:
		r := t.loadNode(op.Node)
		switch {
		case r == nil:
			return ErrUnknownNode
		case r.State != NodeActive:
			return fmt.Errorf("%w: %s", stateErr(r.State), r.Reason)
		}
		r.PrevSerial, r.Serial, r.CertExpiry = r.Serial, op.Serial, op.NotAfter
		f.storeNode(t, r)
		return nil
	case KindRevoke, KindSuspend:
		r := t.loadNode(op.Node)
		if r == nil {
			r = &NodeRecord{ID: op.Node}
		}
		state := NodeRevoked
		if cmd.Kind == KindSuspend {
			if r.State != NodeActive && r.State != "" {
				return fmt.Errorf("%w: node is %s", ErrSuspended, r.State)
			}
			state = NodeSuspended
		}
		r.State, r.Reason, r.By, r.Changed = state, op.Reason, op.By, now
		if cmd.Kind == KindRevoke {
			eraseNodeKey(t, r) // a revoked box can never be unlocked by the city again
		}
		f.storeNode(t, r)
		t.events = append(t.events, Event{Kind: EventRevoked, Node: op.Node, Reason: op.Reason})
		return nil
	case KindReinstate:
		r := t.loadNode(op.Node)
		if r == nil || r.State != NodeSuspended {
			return fmt.Errorf("fleet: only a suspended node can be reinstated; revoked nodes enroll again")
		}
		r.State, r.Reason, r.By, r.Changed = NodeActive, op.Reason, op.By, now
		r.LastSeen = now // the policy must not suspend it again at once
		f.storeNode(t, r)
		return nil
	case KindTelemetry:
		return f.telemetry(t, cmd)
	case KindAudit:
		return f.applyAudit(t, cmd)
	}
	return fmt.Errorf("fsm: unhandled fleet kind %d", cmd.Kind)
}

func stateErr(state string) error {
	if state == NodeRevoked {
		return ErrRevoked
	}
	return ErrSuspended
}

func (f *FSM) enroll(t *txn, cmd *Command) any {
	op, now := cmd.Fleet, cmd.Received
	v := t.get(bTokens, []byte(op.TokenHash))
	if v == nil {
		return ErrTokenUnknown
	}
	var tok tokenRecord
	if err := json.Unmarshal(v, &tok); err != nil {
		panic(fmt.Sprintf("fsm: token record: %v", err))
	}
	switch {
	case tok.Node != op.Node:
		return ErrTokenUnknown
	case !tok.Used.IsZero():
		return ErrTokenUsed
	case !now.Before(tok.Expires):
		return ErrTokenExpired
	}
	r := t.loadNode(op.Node)
	if r != nil && r.State == NodeRevoked && !tok.Created.After(r.Changed) {
		// A token made before the revocation must not undo it.
		return fmt.Errorf("%w: the token predates the revocation; make a new one", ErrRevoked)
	}
	tok.Used = now
	tv, _ := json.Marshal(tok)
	t.put(bTokens, []byte(op.TokenHash), tv, true)
	if r == nil {
		r = &NodeRecord{ID: op.Node}
	}
	*r = NodeRecord{ID: op.Node, State: NodeActive, Changed: now, Enrolled: now, By: tok.By,
		Serial: op.Serial, CertExpiry: op.NotAfter, LastSeen: now}
	if k := loadNodeKey(t.tx, op.Node); k != nil {
		r.KeyEscrowed = k.Escrowed // a re-enrolled box keeps its city slot
	}
	f.storeNode(t, r)
	t.put(bNodes, []byte(op.Node), []byte(tok.Commune), true)
	t.events = append(t.events, Event{Kind: EventAssigned, Node: op.Node, Communes: []string{tok.Commune}})
	return &EnrollResult{Node: op.Node, Commune: tok.Commune, NextSeq: lastSeq(t, op.Node) + 1, Peers: peerURLs(t)}
}

// lastSeq is the highest change sequence number the city holds from node:
// a re-imaged box starts above it, so its new changes are not mistaken for
// duplicates of the old box's.
func lastSeq(t *txn, node string) uint64 {
	prefix := []byte(node + "/")
	var last uint64
	c := t.tx.Bucket(bOutcomes).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if n, err := strconv.ParseUint(string(k[len(prefix):]), 10, 64); err == nil {
			last = max(last, n)
		}
	}
	// From level 3, the runs (runs.go): the stored ones', and the log
	// entry's being built.
	last = max(last, lastRun(t.tx.Bucket(bRuns), node))
	if r := t.runs[node]; r != nil {
		last = max(last, r.seq+r.count-1)
	}
	return last
}

func peerURLs(t *txn) []string {
	var out []string
	t.tx.Bucket(bPeers).ForEach(func(_, v []byte) error { out = append(out, string(v)); return nil })
	slices.Sort(out)
	return out
}

func (f *FSM) telemetry(t *txn, cmd *Command) any {
	op, now := cmd.Fleet, cmd.Received
	r := t.loadNode(op.Node)
	if r == nil {
		if t.get(bNodes, []byte(op.Node)) == nil {
			return ErrUnknownNode
		}
		r = &NodeRecord{ID: op.Node, State: NodeActive, Changed: now}
	}
	if r.State != NodeActive {
		return fmt.Errorf("%w: %s", stateErr(r.State), r.Reason)
	}
	r.LastSeen, r.Telemetry = now, op.Telemetry
	f.storeNode(t, r)

	// A sample for the charts at most every seriesEvery; older than
	// seriesKeep are dropped.
	prefix := append([]byte(op.Node), 0)
	c := t.tx.Bucket(bSeries).Cursor()
	if last, ok := lastSample(c, prefix); ok && now.Sub(last) < seriesEvery {
		return nil
	}
	communes := strings.Split(string(t.get(bNodes, []byte(op.Node))), ",")
	r.CityVersions = map[string]uint64{}
	for _, cm := range communes {
		r.CityVersions[cm] = subsetVersion(t.tx, cm)
	}
	s, _ := json.Marshal(Sample{Time: now, Lag: r.Lag(), Outbox: op.Telemetry.Outbox, Findings: op.Telemetry.Findings})
	key := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(now.UnixMilli()))
	t.put(bSeries, key, s, true)
	cutoff := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(now.Add(-seriesKeep).UnixMilli()))
	var old [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.Compare(k, cutoff) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		t.del(bSeries, k)
	}
	return nil
}

// lastSample is the time of the newest sample under prefix.
func lastSample(c *bolt.Cursor, prefix []byte) (time.Time, bool) {
	end := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	k, _ := c.Seek(end)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(k[len(prefix):]))), true
}

// CheckNode tells whether a connection from node presenting the
// certificate with serial may proceed: nil, or ErrRevoked, ErrSuspended or
// ErrSuperseded wrapped with the reason. A node the fleet state does not
// know (certificates issued straight from the fleet CA, e.g. `xanode fleet
// issue`) passes; revoking it makes it known.
func (f *FSM) CheckNode(node, serial string) error {
	f.authMu.RLock()
	a, ok := f.auth[node]
	f.authMu.RUnlock()
	switch {
	case !ok:
		return nil
	case a.state == NodeRevoked || a.state == NodeSuspended:
		return fmt.Errorf("%w: %s", stateErr(a.state), a.reason)
	case a.hasCertRecords && serial != a.serial && serial != a.prev:
		return ErrSuperseded
	}
	return nil
}

// loadAuth rebuilds the in-memory check table from the file.
func (f *FSM) loadAuth(tx *bolt.Tx) error {
	auth := map[string]nodeAuth{}
	err := tx.Bucket(bFleet).ForEach(func(k, v []byte) error {
		r := &NodeRecord{}
		if err := json.Unmarshal(v, r); err != nil {
			return fmt.Errorf("fleet record %q: %w", k, err)
		}
		auth[string(k)] = authOf(r)
		return nil
	})
	f.authMu.Lock()
	f.auth = auth
	f.authMu.Unlock()
	return err
}

// Token returns what the city knows of an enrollment token by its hash.
func (f *FSM) Token(hash string) (*TokenInfo, error) {
	var out *TokenInfo
	err := f.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTokens).Get([]byte(hash))
		if v == nil {
			return ErrTokenUnknown
		}
		var tok tokenRecord
		if err := json.Unmarshal(v, &tok); err != nil {
			return err
		}
		out = &TokenInfo{Commune: tok.Commune, Node: tok.Node, Expires: tok.Expires, Used: !tok.Used.IsZero()}
		if v := tx.Bucket(bFleet).Get(fleetKey(tok.Node)); v != nil {
			r := &NodeRecord{}
			if err := json.Unmarshal(v, r); err != nil {
				return err
			}
			out.PredatesRevocation = r.State == NodeRevoked && !tok.Created.After(r.Changed)
		}
		return nil
	})
	return out, err
}

// FleetNodes returns every node the fleet knows (enrolled, assigned or
// revoked), in ID order, with communes and the city's versions of them.
func (f *FSM) FleetNodes() ([]*NodeRecord, error) {
	var out []*NodeRecord
	err := f.view(func(tx *bolt.Tx) error {
		seen := map[string]*NodeRecord{}
		err := tx.Bucket(bFleet).ForEach(func(k, v []byte) error {
			r := &NodeRecord{}
			if err := json.Unmarshal(v, r); err != nil {
				return err
			}
			seen[r.ID] = r
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bNodes).ForEach(func(k, v []byte) error {
			r := seen[string(k)]
			if r == nil {
				r = &NodeRecord{ID: string(k), State: NodeActive}
				seen[r.ID] = r
			}
			r.CityVersions = map[string]uint64{}
			for _, c := range strings.Split(string(v), ",") {
				if c != "" {
					r.Communes = append(r.Communes, c)
					r.CityVersions[c] = subsetVersion(tx, c)
				}
			}
			return nil
		})
		for _, r := range seen {
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b *NodeRecord) int { return strings.Compare(a.ID, b.ID) })
		return err
	})
	return out, err
}

// NodeSeries returns a node's telemetry samples, oldest first.
func (f *FSM) NodeSeries(node string) ([]Sample, error) {
	var out []Sample
	err := f.view(func(tx *bolt.Tx) error {
		prefix := append([]byte(node), 0)
		c := tx.Bucket(bSeries).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var s Sample
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// StaleNodes lists active nodes not seen (or enrolled) since before.
func (f *FSM) StaleNodes(before time.Time) ([]string, error) {
	nodes, err := f.FleetNodes()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range nodes {
		seen := r.LastSeen
		if seen.IsZero() {
			seen = r.Enrolled
		}
		if r.State == NodeActive && !seen.IsZero() && seen.Before(before) {
			out = append(out, r.ID)
		}
	}
	return out, nil
}
