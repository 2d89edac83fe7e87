// Package cluster runs one city node of the raft cluster: hashicorp/raft
// with the raft-boltdb log and stable store, a file snapshot store, a
// transport over mutual TLS, and the FSM of package fsm. It offers the
// small surface the city API needs: apply a command and wait for its
// outcome, membership changes, and leadership facts.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/metrics"
)

// Errors of the cluster surface.
var (
	ErrNotLeader = errors.New("cluster: not the leader")
	ErrNoLeader  = errors.New("cluster: no leader")
	// ErrRefused wraps the FSM's refusal of a committed command: the
	// command is in the log but changed nothing (every replica refused it
	// the same way). Retrying it will be refused again.
	ErrRefused = errors.New("cluster: refused by the state machine")
)

// NotLeaderError says who the leader is, when known, so a caller can forward.
type NotLeaderError struct {
	LeaderID   string
	LeaderAddr string // raft address
}

func (e *NotLeaderError) Error() string {
	if e.LeaderID == "" {
		return ErrNoLeader.Error()
	}
	return fmt.Sprintf("cluster: not the leader; leader is %s at %s", e.LeaderID, e.LeaderAddr)
}

func (e *NotLeaderError) Is(target error) bool {
	return target == ErrNotLeader || (e.LeaderID == "" && target == ErrNoLeader)
}

// Config of one city node.
type Config struct {
	ID        string // raft server ID, unique in the cluster
	Dir       string // holds the raft log (wal/, or raft.db: logstore.go), fsm.db and snapshots/
	Listener  net.Listener
	Advertise net.Addr // address other nodes dial; nil: the listener's
	// ServerTLS and ClientTLS secure the raft transport (certs.ServerTLS
	// and certs.ClientTLS: city-node certificates only); the node adds the
	// fleet CA's revocation list in its state to what both check. Both nil
	// means plain TCP, which only tests on loopback may use.
	ServerTLS, ClientTLS *tls.Config
	Bootstrap            bool         // form a new single-node cluster if no state exists
	Raft                 *raft.Config // nil: production defaults; tests pass short timeouts
	FSM                  fsm.Config
	Logger               *slog.Logger // nil: slog.Default()
	LogOutput            io.Writer    // raft's own log; nil: stderr at warn level
	// Metrics receives the timing of raft log writes and FSM batches
	// (observe.go); nil: not recorded.
	Metrics *metrics.Registry
	// GroupWindow bounds how long a push waits to join a group at the
	// leader (group.go); zero: DefaultGroupWindow.
	GroupWindow time.Duration
	// NoGroup proposes every push as its own entry. A cluster any of whose
	// nodes still runs a release that does not read KindGroup entries
	// must run with it until every node is upgraded.
	NoGroup bool
}

// DefaultRaftConfig is hashicorp/raft's defaults with snapshots spaced for
// a city state of gigabytes: a snapshot streams the whole FSM file, so
// taking one every 8,192 entries or 2 minutes (raft's defaults) would spend
// the disk on snapshots under load. Entries carry batches of changes, so
// 65,536 entries is millions of changes; the log kept meanwhile is bounded
// by the threshold and compacted by each snapshot.
func DefaultRaftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.SnapshotInterval = 10 * time.Minute
	c.SnapshotThreshold = 65536
	c.TrailingLogs = 16384
	return c
}

// logCache is how many of the newest raft entries stay in memory for
// replication (raft's own pipeline sends at most MaxAppendEntries, 64, at
// a time). An entry holds one push: typically kilobytes, at most
// fsm.MaxPush changes (a few MB), so the worst case stays well inside the
// node's memory budget.
const logCache = 64

// HasState reports whether dir holds a node's raft log already: a node
// restarted on it is a member and needs neither bootstrap nor join.
func HasState(dir string) bool { return hasLog(dir) }

// Node is a running city raft node.
type Node struct {
	id    string
	raft  *raft.Raft
	fsm   *fsm.FSM
	store logStore
	trans *raft.NetworkTransport
	log   *slog.Logger
	obs   *observer // nil: no metrics
	group *grouper  // nil: every push its own entry
}

// Open starts the node. With Bootstrap and no existing state, it forms a
// one-node cluster that others join.
func Open(cfg Config) (*Node, error) {
	if cfg.ID == "" || cfg.Dir == "" || cfg.Listener == nil {
		return nil, errors.New("cluster: ID, Dir and Listener are required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	rc := DefaultRaftConfig()
	if cfg.Raft != nil {
		c := *cfg.Raft
		rc = &c
	}
	rc.LocalID = raft.ServerID(cfg.ID)
	out := cfg.LogOutput
	if out == nil {
		out = os.Stderr
	}
	rc.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Output: out, Level: hclog.Warn, JSONFormat: true})

	f, err := fsm.Open(filepath.Join(cfg.Dir, "fsm.db"), cfg.FSM)
	if err != nil {
		return nil, err
	}
	n := &Node{id: cfg.ID, fsm: f, log: log}
	if err := n.start(cfg, rc, out); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(cfg Config, rc *raft.Config, out io.Writer) error {
	store, err := openLogStore(cfg.Dir, true, out)
	if err != nil {
		return err
	}
	n.store = store
	snaps, err := raft.NewFileSnapshotStore(cfg.Dir, 2, out)
	if err != nil {
		return fmt.Errorf("cluster: snapshots: %w", err)
	}
	var stream raft.StreamLayer
	if cfg.ServerTLS != nil || cfg.ClientTLS != nil {
		s, err := newTLSStream(cfg.Listener, cfg.Advertise, cfg.ServerTLS, cfg.ClientTLS,
			func(c *x509.Certificate) error { return n.fsm.CheckCert(certs.Serial(c)) })
		if err != nil {
			return err
		}
		stream = s
		n.fsm.OnCRL(func() {
			if d := s.dropRevoked(); d > 0 {
				n.log.Warn("raft connections of revoked certificates closed", "connections", d)
			}
			if own := cfg.ServerTLS.Certificates; len(own) > 0 && own[0].Leaf != nil {
				if err := n.fsm.CheckCert(certs.Serial(own[0].Leaf)); err != nil {
					n.log.Error("this node's own certificate is revoked: the other nodes refuse it; issue a new one (xanode pki issue-node --replace) or retire the node", "err", err)
				}
			}
		})
	} else {
		stream = &tcpStream{Listener: cfg.Listener, advertise: cfg.Advertise}
	}
	n.trans = raft.NewNetworkTransport(stream, 3, 10*time.Second, out)

	if cfg.Bootstrap {
		has, err := raft.HasExistingState(store, store, snaps)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if !has {
			conf := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: n.trans.LocalAddr()}}}
			if err := raft.BootstrapCluster(rc, store, store, snaps, n.trans, conf); err != nil {
				return fmt.Errorf("cluster: bootstrap: %w", err)
			}
		}
	}
	var logs raft.LogStore = store
	var machine raft.FSM = n.fsm
	if n.obs = newObserver(cfg.Metrics); n.obs != nil {
		logs, machine = observedLog{store, n.obs}, observedFSM{n.fsm, n.obs}
		n.fsm.OnCommit(func(d time.Duration) { n.obs.fsmCommit.Observe(d.Seconds()) })
	}
	// Replication reads back the entries it sends: the newest stay in
	// memory rather than being read from the log store again.
	if logs, err = raft.NewLogCache(logCache, logs); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	r, err := raft.NewRaft(rc, machine, logs, store, snaps, n.trans)
	if err != nil {
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	n.raft = r
	if !cfg.NoGroup {
		window := cfg.GroupWindow
		if window <= 0 {
			window = DefaultGroupWindow
		}
		n.group = newGrouper(n, window)
	}
	return nil
}

// FSM gives read access to the replicated state.
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// ID is this node's raft server ID.
func (n *Node) ID() string { return n.id }

// RaftAddr is the address other nodes dial.
func (n *Node) RaftAddr() string { return string(n.trans.LocalAddr()) }

// Apply replicates a command and returns the FSM's response once it is
// committed and applied here. Only the leader can apply; others get a
// *NotLeaderError. Pushes (KindChanges) may share an entry with others
// that arrive with them (group.go); each still gets its own response. A command its sender may not send (fsm.Command.Authorize)
// is refused before it reaches the log: the error wraps fsm.ErrForbidden
// and nothing is written.
func (n *Node) Apply(ctx context.Context, cmd *fsm.Command) (any, error) {
	if err := cmd.Authorize(); err != nil {
		return nil, err
	}
	if n.raft.State() != raft.Leader {
		return nil, n.notLeader()
	}
	cmd.Received = time.Now().UTC()
	if n.group != nil && cmd.Kind == fsm.KindChanges {
		return n.group.apply(ctx, cmd)
	}
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	res := n.outcome(n.raft.Apply(cmd.Encode(), timeout))
	return res.v, res.err
}

func (n *Node) notLeader() error {
	addr, id := n.raft.LeaderWithID()
	return &NotLeaderError{LeaderID: string(id), LeaderAddr: string(addr)}
}

// Leader returns the current leader's ID and raft address ("" if none).
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// IsLeader reports whether this node leads.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// WaitLeader waits until the cluster has a leader or ctx ends.
func (n *Node) WaitLeader(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if id, _ := n.Leader(); id != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting for a leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Join adds a voter. Only the leader can; repeating a join is harmless and
// a node that comes back with a new address replaces its old entry.
func (n *Node) Join(id, addr string) error {
	if n.raft.State() != raft.Leader {
		return n.notLeader()
	}
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return fmt.Errorf("cluster: configuration: %w", err)
	}
	for _, s := range cf.Configuration().Servers {
		if s.ID == raft.ServerID(id) && s.Address == raft.ServerAddress(addr) {
			return nil
		}
		if s.ID == raft.ServerID(id) || s.Address == raft.ServerAddress(addr) {
			if err := n.raft.RemoveServer(s.ID, 0, 0).Error(); err != nil {
				return fmt.Errorf("cluster: remove stale %s: %w", s.ID, err)
			}
		}
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 0).Error(); err != nil {
		return fmt.Errorf("cluster: add voter %s at %s: %w", id, addr, err)
	}
	n.log.Info("node joined", "node", id, "raft", addr)
	return nil
}

// Remove takes a node out of the cluster.
func (n *Node) Remove(id string) error {
	if n.raft.State() != raft.Leader {
		return n.notLeader()
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, 0).Error(); err != nil {
		return fmt.Errorf("cluster: remove %s: %w", id, err)
	}
	return nil
}

// Servers lists the cluster configuration.
func (n *Node) Servers() ([]raft.Server, error) {
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return nil, err
	}
	return cf.Configuration().Servers, nil
}

// Barrier waits until every entry committed before it is applied here.
func (n *Node) Barrier(timeout time.Duration) error { return n.raft.Barrier(timeout).Error() }

// Close stops raft, then the stores it uses. Safe to call twice.
func (n *Node) Close() error {
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
		if n.group != nil {
			n.group.close() // after raft: the futures its waiters hold have ended
		}
		n.raft = nil
	}
	if n.trans != nil {
		errs = append(errs, n.trans.Close())
		n.trans = nil
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
		n.store = nil
	}
	errs = append(errs, n.fsm.Close())
	return errors.Join(errs...)
}

// tcpStream is the plain-TCP raft stream for loopback tests.
type tcpStream struct {
	net.Listener
	advertise net.Addr
}

func (s *tcpStream) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}

func (s *tcpStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(addr), timeout)
}

// Stats returns raft's own figures (state, term, last_log_index,
// commit_index, applied_index, …) as hashicorp/raft reports them.
func (n *Node) Stats() map[string]string { return n.raft.Stats() }
