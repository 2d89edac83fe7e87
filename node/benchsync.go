package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/netem"
)

// SyncBench describes a poor-link sync run: an edge records Changes while
// its uplink is down, then the link comes back shaped by Link.
type SyncBench struct {
	Dir     string // working folder
	Changes int
	Link    netem.Config
}

// SyncBenchResult is what the run measured.
type SyncBenchResult struct {
	Took         time.Duration // from the link coming back to the outbox drained
	BytesPerSync float64       // bytes on the wire per change, both ways
	CityChanges  uint64        // changes in the city's history afterwards
	Outcomes     map[registry.Result]int
	// AuditHeld is the last audit entry of the edge the city holds, with
	// its chain checked, once the audit log has followed the changes.
	AuditHeld uint64
	AuditTook time.Duration // from the outbox drained to the audit log held
}

// RunSyncBench runs a city node and an edge in this process with the
// fault-injecting proxy between them (xanode bench sync, and the
// poor-link system test).
func RunSyncBench(ctx context.Context, b SyncBench) (*SyncBenchResult, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pki, err := certs.Init(filepath.Join(b.Dir, "pki"), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		return nil, err
	}
	city, err := StartCity(ctx, CityConfig{ID: "city-1", Dir: filepath.Join(b.Dir, "city"), RaftAddr: "127.0.0.1:0",
		APIAddr: "127.0.0.1:0", PKI: pki, Bootstrap: true, Raft: RaftTimeouts(150 * time.Millisecond),
		FSM: fsm.DefaultConfig(), Log: quiet, RaftLog: io.Discard})
	if err != nil {
		return nil, err
	}
	defer city.Close()
	if err := waitFor(ctx, 30*time.Second, city.Node().IsLeader); err != nil {
		return nil, fmt.Errorf("no leader: %w", err)
	}
	people, err := gen.Citizens(gen.Options{Commune: "92101", Citizens: 200, Seed: 3})
	if err != nil {
		return nil, err
	}
	account, err := cityAccount("92101", "canbo01", "Nguyễn Thị Lan", registry.OfficerRole, "mật khẩu thử nghiệm")
	if err != nil {
		return nil, err
	}
	for _, cmd := range []*fsm.Command{{Kind: fsm.KindImport, From: localAdmin, Records: people},
		{Kind: fsm.KindAssign, From: localAdmin, Node: "edge-1", Communes: []string{"92101"}}, account} {
		if _, err := city.Node().Apply(ctx, cmd); err != nil {
			return nil, err
		}
	}
	link, err := netem.Start(city.apiLn.Addr().String(), netem.Config{})
	if err != nil {
		return nil, err
	}
	defer link.Close()
	cred, err := pki.IssueNodeKey("edge-1", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		return nil, err
	}
	edgeDir := filepath.Join(b.Dir, "edge")
	if err := WriteEdgeCredentials(edgeDir, cred, pki.RootPEM(), EdgeIdentity{Node: "edge-1", Commune: "92101",
		City: []string{"https://" + link.Addr()}}); err != nil {
		return nil, err
	}
	e, err := StartEdge(ctx, EdgeConfig{Dir: edgeDir, Listen: "127.0.0.1:0", PushEvery: time.Second, PullEvery: time.Hour, Log: quiet})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := waitFor(ctx, 30*time.Second, func() bool { _, err := e.Store().Subset(); return err == nil }); err != nil {
		return nil, fmt.Errorf("no subset: %w", err)
	}

	// The uplink goes down; the office keeps working.
	link.SetDown(true)
	for i := 0; i < b.Changes; i++ {
		p := people[(i*7)%len(people)]
		if _, err := e.Services().Record(edge.Draft{Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: p.ID,
			Patch: map[string]string{"temporary_address": fmt.Sprintf("Số %d Đường 3 Tháng 2", i), "temporary_until": "2027-06-30"}}); err != nil {
			return nil, err
		}
	}
	time.Sleep(1500 * time.Millisecond) // pushes fail meanwhile and back off

	up0, down0 := link.Stats()
	link.Set(b.Link)
	link.SetDown(false)
	start := time.Now()
	if err := waitFor(ctx, 10*time.Minute, func() bool {
		q, err := e.Store().Queue()
		return err == nil && q.Pending == 0
	}); err != nil {
		return nil, fmt.Errorf("outbox not drained: %w", err)
	}
	res := &SyncBenchResult{Took: time.Since(start), Outcomes: map[registry.Result]int{}}
	up, down := link.Stats()
	res.BytesPerSync = float64((up-up0)+(down-down0)) / float64(b.Changes)
	st, err := city.Node().FSM().Status()
	if err != nil {
		return nil, err
	}
	res.CityChanges = st.Changes
	recent, err := e.Services().Recent(b.Changes)
	if err != nil {
		return nil, err
	}
	for _, r := range recent {
		if r.Outcome == nil {
			return nil, fmt.Errorf("change %s has no outcome", r.Change.ID())
		}
		res.Outcomes[r.Outcome.Result]++
	}
	// The audit log follows the changes (one entry per recorded change).
	auditStart := time.Now()
	defer func() { res.AuditTook = time.Since(auditStart) }()
	waitFor(ctx, time.Minute, func() bool {
		trail, err := city.Node().FSM().Audit("edge-1", 0, 0)
		res.AuditHeld = trail.Tip.Seq
		return err == nil && trail.Tip.Seq >= uint64(b.Changes)
	})
	return res, nil
}

func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
