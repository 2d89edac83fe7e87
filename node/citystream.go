package node

import (
	"context"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/stream"
)

// cityStreams connects the FSM to the edges' websockets on this city node:
// what the FSM applies (a commune's new subset version, a revocation, a
// reassignment, a new CSCA trust set) becomes a notification to the edges connected here, and
// the telemetry they send goes through raft into the fleet state.
type cityStreams struct {
	hub   *stream.Hub
	api   *cityapi.Server
	log   *slog.Logger
	tel   chan telemetry
	stop  chan struct{}
	done  chan struct{}
	close gosync.Once

	mu   gosync.Mutex
	last map[string]time.Time // when each node's last sample was accepted
}

// telemetryEvery is the shortest interval between two samples of a node
// that are recorded.
const telemetryEvery = 5 * time.Second

type telemetry struct {
	node string
	t    *fsm.Telemetry
}

// telemetryQueue bounds the samples waiting for raft; beyond it samples
// are dropped (the next one, 30 s later, says the same).
const telemetryQueue = 256

func newCityStreams(f *fsm.FSM, log *slog.Logger) *cityStreams {
	cs := &cityStreams{log: log, last: map[string]time.Time{}, tel: make(chan telemetry, telemetryQueue), stop: make(chan struct{}), done: make(chan struct{})}
	cs.hub = stream.NewHub(stream.HubConfig{Log: log, OnTelemetry: cs.received})
	f.Observe(cs.observe)
	return cs
}

// start begins recording telemetry through api.
func (cs *cityStreams) start(api *cityapi.Server) {
	cs.api = api
	go cs.record()
}

func (cs *cityStreams) received(node string, t *stream.Telemetry) {
	// Each sample is a raft entry: an edge that reports more often than
	// telemetryEvery has its extra samples dropped.
	cs.mu.Lock()
	last, ok := cs.last[node]
	if ok && t.Received.Sub(last) < telemetryEvery {
		cs.mu.Unlock()
		return
	}
	cs.last[node] = t.Received
	cs.mu.Unlock()
	s := &fsm.Telemetry{Time: t.Time, Software: t.Software, SubsetVersion: t.SubsetVersion, Outbox: t.Outbox,
		OldestUnsynced: t.OldestUnsynced, LastSynced: t.LastSynced, CertExpiry: t.CertExpiry, DiskFree: t.DiskFree,
		Findings: t.Findings, Stale: t.Stale, Frozen: t.Frozen, TrustVersion: t.TrustVersion}
	select {
	case cs.tel <- telemetry{node, s}:
	default:
		cs.log.Warn("telemetry queue full; sample dropped", "node", node)
	}
}

func (cs *cityStreams) record() {
	defer close(cs.done)
	for {
		select {
		case <-cs.stop:
			return
		case s := <-cs.tel:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := cs.api.Telemetry(ctx, s.node, s.t); err != nil {
				cs.log.Debug("telemetry not recorded", "node", s.node, "err", err)
			}
			cancel()
		}
	}
}

// observe runs on raft's apply path: it only queues frames (the hub never
// blocks). A batch that touched a commune many times notifies once, with
// the last version.
func (cs *cityStreams) observe(events []fsm.Event) {
	versions := map[string]uint64{}
	var trust uint64
	for _, ev := range events {
		switch ev.Kind {
		case fsm.EventTrust:
			trust = ev.Version
		case fsm.EventSubset:
			versions[ev.Commune] = ev.Version
		case fsm.EventRevoked:
			cs.hub.Kick(ev.Node, ev.Reason)
		case fsm.EventDecided:
			cs.hub.Send(ev.Node, stream.Message{Type: stream.TypeDecision, Change: ev.Change})
		case fsm.EventAssigned:
			cs.hub.Reassign(ev.Node, ev.Communes)
			cs.hub.Send(ev.Node, stream.Message{Type: stream.TypeConfig, Config: map[string]string{"communes": strings.Join(ev.Communes, ",")}})
		}
	}
	for commune, v := range versions {
		cs.hub.Notify(commune, stream.Message{Type: stream.TypeSubset, Commune: commune, Version: v})
	}
	if trust != 0 {
		cs.hub.Broadcast(stream.Message{Type: stream.TypeTrust, Version: trust})
	}
}

// Close ends every edge connection and the telemetry recorder.
func (cs *cityStreams) Close() error {
	var err error
	cs.close.Do(func() {
		err = cs.hub.Close()
		close(cs.stop)
		if cs.api != nil {
			<-cs.done
		}
	})
	return err
}
