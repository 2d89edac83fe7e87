//go:build ignore

// Command generate writes the data folders of testdata/upgrade: a city
// node's (city/) and an edge's (edge/), with what the upgrade test must
// find in them (expect.json). It uses the packages as they are in the
// tree it runs in: run it through regenerate.sh, which runs it on a
// checkout of the release whose formats the folders freeze (README.md).
//
// It uses only API that existed when it was written; if a later release
// changes that API, regenerate with the generator of the release being
// frozen, adapted as little as needed.
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
)

// Fixed names and addresses: the upgrade test starts the city node with
// these advertised addresses, so that it finds its own API URL already in
// the peer table and writes nothing at start-up.
const (
	cityID   = "city-1"
	raftAdv  = "127.0.0.1:7000"
	apiAdv   = "127.0.0.1:7443"
	edgeID   = "edge-1"
	commune  = "92101"
	other    = "92102"
	officer  = "canbo01"
	password = "upgrade-fixture-only"
)

// Expect is expect.json.
type Expect struct {
	Revision  string     `json:"revision"` // the code that wrote the folders
	Generated time.Time  `json:"generated"`
	City      CityExpect `json:"city"`
	Edge      EdgeExpect `json:"edge"`
}

// CityExpect is what the city folder holds.
type CityExpect struct {
	NodeID          string `json:"node_id"`
	RaftAdvertise   string `json:"raft_advertise"`
	APIAdvertise    string `json:"api_advertise"`
	AppliedIndex    uint64 `json:"applied_index"`
	SnapshotIndex   uint64 `json:"snapshot_index"` // entries above it are in the log only
	StateDigest     string `json:"state_digest"`
	Citizens        uint64 `json:"citizens"`
	Changes         uint64 `json:"changes"`
	Commune         string `json:"commune"`
	CommuneCitizens uint64 `json:"commune_citizens"`
	SubsetVersion   uint64 `json:"subset_version"`
	SampleID        string `json:"sample_id"`
	SampleName      string `json:"sample_name"`
	SampleOtherName string `json:"sample_other_name"`
	FleetNode       string `json:"fleet_node"`
}

// EdgeExpect is what the edge folder holds.
type EdgeExpect struct {
	NodeID          string   `json:"node_id"`
	Commune         string   `json:"commune"`
	SubsetVersion   uint64   `json:"subset_version"`
	SubsetCount     uint64   `json:"subset_count"`
	SubsetDigest    string   `json:"subset_digest"`
	Recorded        int      `json:"recorded"`
	Settled         int      `json:"settled"`
	Pending         []string `json:"pending"` // change IDs in the outbox, oldest first
	AuditEntries    int      `json:"audit_entries"`
	Officer         string   `json:"officer"`
	OfficerPassword string   `json:"officer_password"`
	SampleID        string   `json:"sample_id"`
	SampleName      string   `json:"sample_name"`
	SampleOtherName string   `json:"sample_other_name"`
}

func main() {
	out := flag.String("out", "testdata/upgrade", "folder to write city/, edge/ and expect.json into (city/ and edge/ must not exist)")
	rev := flag.String("rev", "", "the git revision of the code that runs this, recorded in expect.json")
	flag.Parse()
	if err := run(*out, *rev); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(out, rev string) error {
	cityDir, edgeDir := filepath.Join(out, "city"), filepath.Join(out, "edge")
	for _, d := range []string{cityDir, edgeDir} {
		if _, err := os.Stat(d); err == nil {
			return fmt.Errorf("%s exists: remove it first (the folders are regenerated whole)", d)
		}
	}
	tmp, err := os.MkdirTemp("", "xanode-upgrade-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pki, err := certs.Init(filepath.Join(tmp, "pki"), certs.InitOptions{})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	exp := Expect{Revision: rev, Generated: now}
	if err := city(cityDir, edgeDir, pki, &exp); err != nil {
		return err
	}
	for _, p := range []string{filepath.Join(cityDir, "raft.db"), filepath.Join(cityDir, "fsm.db"), filepath.Join(edgeDir, "edge.db")} {
		before, after, err := node.CompactBolt(p)
		if err != nil {
			return fmt.Errorf("compact %s: %w", p, err)
		}
		fmt.Printf("%s: %d → %d bytes\n", p, before, after)
	}
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "expect.json"), append(b, '\n'), 0o644)
}

// openCity starts the city node on dir. With snapshots, raft snapshots
// after every entry; without, never (the production thresholds), so that
// what is applied then stays in the log.
func openCity(dir string, snapshots bool) (*cluster.Node, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	adv, err := net.ResolveTCPAddr("tcp", raftAdv)
	if err != nil {
		return nil, err
	}
	rc := node.RaftTimeouts(50 * time.Millisecond)
	if snapshots {
		rc.SnapshotThreshold, rc.SnapshotInterval, rc.TrailingLogs = 1, 20*time.Millisecond, 1
	}
	n, err := cluster.Open(cluster.Config{ID: cityID, Dir: dir, Listener: ln, Advertise: adv, Bootstrap: true,
		Raft: rc, FSM: fsm.DefaultConfig(), LogOutput: io.Discard})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !n.IsLeader() {
		if ctx.Err() != nil {
			n.Close()
			return nil, errors.New("the city node did not lead within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n, nil
}

func apply(n *cluster.Node, cmd *fsm.Command) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := n.Apply(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("apply kind %d: %w", cmd.Kind, err)
	}
	return res, nil
}

func city(cityDir, edgeDir string, pki *certs.PKI, exp *Expect) error {
	here, err := gen.Citizens(gen.Options{Commune: commune, Citizens: 40, Seed: 1})
	if err != nil {
		return err
	}
	there, err := gen.Citizens(gen.Options{Commune: other, Citizens: 15, Seed: 1})
	if err != nil {
		return err
	}
	// Phase 1: everything here ends up in a snapshot.
	n, err := openCity(cityDir, true)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	fix, err := registry.PatchFromMap(map[string]string{"other_name": "Tư"})
	if err != nil {
		return err
	}
	tokenHash := strings.Repeat("ab", 32)
	for _, cmd := range []*fsm.Command{
		{Kind: fsm.KindImport, Records: here},
		{Kind: fsm.KindImport, Records: there},
		{Kind: fsm.KindPeer, Node: cityID, URL: "https://" + apiAdv},
		{Kind: fsm.KindAssign, Node: edgeID, Communes: []string{commune}},
		{Kind: fsm.KindCorrect, Citizen: here[0].ID, Patch: fix, Reason: "theo giấy khai sinh bản gốc", By: "admin"},
		{Kind: fsm.KindToken, Fleet: &fsm.FleetOp{Node: edgeID, Commune: commune, TokenHash: tokenHash, Expires: now.Add(24 * time.Hour), By: "admin"}},
		{Kind: fsm.KindEnroll, Fleet: &fsm.FleetOp{Node: edgeID, TokenHash: tokenHash, Serial: "0a1b2c3d", NotAfter: now.Add(30 * 24 * time.Hour)}},
	} {
		if _, err := apply(n, cmd); err != nil {
			n.Close()
			return err
		}
	}
	snap, err := waitSnapshot(n, cityDir)
	n.Close()
	if err != nil {
		return err
	}
	exp.City.SnapshotIndex = snap

	// Phase 2: what follows stays in the log.
	if n, err = openCity(cityDir, false); err != nil {
		return err
	}
	defer n.Close()
	data, err := buildBundle(n, pki)
	if err != nil {
		return err
	}
	if err := edgeStore(edgeDir, n, pki, data, here, exp); err != nil {
		return err
	}
	_, err = apply(n, &fsm.Command{Kind: fsm.KindTelemetry, Fleet: &fsm.FleetOp{Node: edgeID, Telemetry: &fsm.Telemetry{
		Time: now, Software: "upgrade-fixture", SubsetVersion: exp.Edge.SubsetVersion, Outbox: len(exp.Edge.Pending), DiskFree: 1 << 30}}})
	if err != nil {
		return err
	}
	if err := n.Barrier(10 * time.Second); err != nil {
		return err
	}
	st, err := n.FSM().Status()
	if err != nil {
		return err
	}
	ver, err := n.FSM().SubsetVersion(commune)
	if err != nil {
		return err
	}
	sample, err := n.FSM().Citizen(here[0].ID)
	if err != nil {
		return err
	}
	exp.City = CityExpect{NodeID: cityID, RaftAdvertise: raftAdv, APIAdvertise: apiAdv,
		AppliedIndex: st.AppliedIndex, SnapshotIndex: exp.City.SnapshotIndex, StateDigest: hex.EncodeToString(st.Digest[:]),
		Citizens: st.Citizens, Changes: st.Changes, Commune: commune, CommuneCitizens: uint64(len(here)), SubsetVersion: ver,
		SampleID: sample.ID, SampleName: sample.Get(registry.FieldFullName), SampleOtherName: sample.Get(registry.FieldOtherName),
		FleetNode: edgeID}
	if st.AppliedIndex <= snap {
		return fmt.Errorf("nothing was applied after the snapshot at %d", snap)
	}
	return nil
}

// waitSnapshot waits until raft has a snapshot of everything applied.
func waitSnapshot(n *cluster.Node, dir string) (uint64, error) {
	st, err := n.FSM().Status()
	if err != nil {
		return 0, err
	}
	snaps, err := raft.NewFileSnapshotStore(dir, 2, io.Discard)
	if err != nil {
		return 0, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		metas, err := snaps.List()
		if err != nil {
			return 0, err
		}
		if len(metas) > 0 && metas[0].Index >= st.AppliedIndex {
			return metas[0].Index, nil
		}
	}
	return 0, fmt.Errorf("no snapshot at index %d within 10 s", st.AppliedIndex)
}

// buildBundle builds the commune's full bundle as the city API does.
func buildBundle(n *cluster.Node, pki *certs.PKI) ([]byte, error) {
	ver, err := n.FSM().SubsetVersion(commune)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	// Far from expiring: the test reads the subset, it does not judge
	// its age.
	h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: ver, Created: now, Expires: now.AddDate(20, 0, 0)}
	var readErr error
	records := func(yield func(*registry.Citizen) bool) {
		_, readErr = n.FSM().Subset(commune, func(c *registry.Citizen) error {
			if !yield(c) {
				return errors.New("stopped")
			}
			return nil
		})
	}
	key, signer := pki.DataSigner()
	var buf bytes.Buffer
	if _, err := bundle.Build(&buf, h, records, key, signer); err != nil {
		return nil, err
	}
	return buf.Bytes(), readErr
}

// edgeStore writes the edge's store: the verified subset, an officer,
// changes of which some were pushed and settled and the rest wait in the
// outbox, and an audit chain.
func edgeStore(dir string, n *cluster.Node, pki *certs.PKI, data []byte, here []*registry.Citizen, exp *Expect) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := edge.OpenStore(filepath.Join(dir, "edge.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetIdentity(edgeID, commune); err != nil {
		return err
	}
	im := edge.Importer{Store: st, Roots: pki.RootPool(), Now: time.Now}
	info, err := im.Import(context.Background(), data)
	if err != nil {
		return err
	}
	if err := st.PutOfficer(officer, "Nguyễn Thị Cán Bộ", "officer", password); err != nil {
		return err
	}
	religion, err := registry.PatchFromMap(map[string]string{"religion": "Phật giáo"})
	if err != nil {
		return err
	}
	at := registry.HLCFromTime(time.Now())
	changes := []*registry.Change{
		{Op: registry.OpIdentify, Citizen: here[0].ID},
		{Op: registry.OpIdentify, Citizen: here[1].ID},
		{Op: registry.OpCorrect, Citizen: here[1].ID, Patch: religion, Base: info.Version, Note: "theo giấy xác nhận của cơ sở tôn giáo"},
		{Op: registry.OpIdentify, Citizen: here[2].ID},
		{Op: registry.OpProcedure, Citizen: here[2].ID, Procedure: "2.001255", Note: "đã trả kết quả"},
	}
	for _, c := range changes {
		c.Node, c.Officer, c.Commune, c.Time = edgeID, officer, commune, at
		if err := st.Append(c); err != nil {
			return err
		}
		if err := st.Audit(time.Now(), officer, string(c.Op), c.Citizen, c.ID()); err != nil {
			return err
		}
	}
	const pushed = 3
	res, err := apply(n, &fsm.Command{Kind: fsm.KindChanges, Changes: changes[:pushed]})
	if err != nil {
		return err
	}
	outs, ok := res.([]*registry.Outcome)
	if !ok {
		return fmt.Errorf("push answered %#v", res)
	}
	if err := st.Settle(edgeID, outs, time.Now()); err != nil {
		return err
	}
	sample, err := st.Citizen(here[0].ID)
	if err != nil {
		return err
	}
	exp.Edge = EdgeExpect{NodeID: edgeID, Commune: commune, SubsetVersion: info.Version, SubsetCount: info.Count,
		SubsetDigest: hex.EncodeToString(info.Digest[:]), Recorded: len(changes), Settled: pushed,
		AuditEntries: len(changes), Officer: officer, OfficerPassword: password,
		SampleID: sample.ID, SampleName: sample.Get(registry.FieldFullName), SampleOtherName: sample.Get(registry.FieldOtherName)}
	for _, c := range changes[pushed:] {
		exp.Edge.Pending = append(exp.Edge.Pending, c.ID())
	}
	return nil
}
