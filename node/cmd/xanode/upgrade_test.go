package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// The upgrade tests start today's code on data folders written by an
// earlier release (testdata/upgrade, made by its generate.go; see the
// README there). They must keep passing after any change of an on-disk
// format: a city node's raft log, snapshots and state, and an edge's
// store are read by the next release in place.

const upgradeDir = "../../../testdata/upgrade"

// upgradeExpect is the part of testdata/upgrade/expect.json the tests use.
type upgradeExpect struct {
	Revision string `json:"revision"`
	City     struct {
		NodeID          string `json:"node_id"`
		RaftAdvertise   string `json:"raft_advertise"`
		APIAdvertise    string `json:"api_advertise"`
		AppliedIndex    uint64 `json:"applied_index"`
		SnapshotIndex   uint64 `json:"snapshot_index"`
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
	} `json:"city"`
	Edge struct {
		NodeID          string   `json:"node_id"`
		Commune         string   `json:"commune"`
		SubsetVersion   uint64   `json:"subset_version"`
		SubsetCount     uint64   `json:"subset_count"`
		SubsetDigest    string   `json:"subset_digest"`
		Recorded        int      `json:"recorded"`
		Settled         int      `json:"settled"`
		Pending         []string `json:"pending"`
		AuditEntries    int      `json:"audit_entries"`
		Officer         string   `json:"officer"`
		OfficerPassword string   `json:"officer_password"`
		SampleID        string   `json:"sample_id"`
		SampleName      string   `json:"sample_name"`
		SampleOtherName string   `json:"sample_other_name"`
	} `json:"edge"`
}

func readUpgradeExpect(t *testing.T) upgradeExpect {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(upgradeDir, "expect.json"))
	if err != nil {
		t.Fatalf("%v (regenerate with testdata/upgrade/regenerate.sh)", err)
	}
	var e upgradeExpect
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// copyTree copies a folder of the testdata so that the test can write to
// the copy: the committed folders stay as the old release left them.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeCityFolder starts today's city node on a copy of the old
// release's folder. At start raft restores the old snapshot (an old state
// file) and applies the old log entries after it, so the old raft log,
// snapshot, state file and command encoding are all read. The node must
// reach the recorded state digest, serve the commune's citizens in a
// bundle that verifies, and know the old fleet; then it is restarted on
// the folder as today's code left it, and must agree again.
func TestUpgradeCityFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	exp := readUpgradeExpect(t)
	if exp.City.AppliedIndex <= exp.City.SnapshotIndex {
		t.Fatalf("expect.json: nothing in the log after the snapshot (%d ≤ %d): regenerate", exp.City.AppliedIndex, exp.City.SnapshotIndex)
	}
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	xanode(t, "pki", "init", "--out", pkiDir)
	pki, err := certs.Load(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	admin := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(pki.Admin(), pki.RootPool())}}

	data := filepath.Join(dir, "city")
	copyTree(t, filepath.Join(upgradeDir, "city"), data)
	api := freeAddr(t)
	url := "https://" + api
	for _, run := range []string{"upgraded", "restarted"} {
		// The old node's advertised addresses: it finds its API URL in
		// the peer table and writes nothing at start-up. The not-seen
		// policy is off: the fleet's edge was last seen when the folder
		// was made; so is the data-quality sweep, whose first entry would
		// turn the rules on.
		p := start(t, "city "+run, "city", "--id", exp.City.NodeID, "--data", data, "--pki", pkiDir,
			"--raft", freeAddr(t), "--raft-advertise", exp.City.RaftAdvertise,
			"--api", api, "--api-advertise", exp.City.APIAdvertise,
			"--raft-heartbeat", "200ms", "--bootstrap", "--fleet-suspend-after", "0", "--quality-every", "0")
		var st cityStatus
		waitFor(t, "the "+run+" node to lead", 30*time.Second, func() bool {
			return getJSON(admin, url+"/v1/status", &st) == nil && st.IsLeader && st.AppliedIndex >= exp.City.AppliedIndex
		})
		if st.AppliedIndex != exp.City.AppliedIndex || st.StateDigest != exp.City.StateDigest ||
			st.Citizens != exp.City.Citizens || st.Changes != exp.City.Changes {
			t.Fatalf("%s node on the folder of %s: %+v; that release recorded index %d, digest %s, %d citizens, %d changes",
				run, exp.Revision, st, exp.City.AppliedIndex, exp.City.StateDigest, exp.City.Citizens, exp.City.Changes)
		}
		checkBundle(t, admin, url, pki, exp)
		var nodes []fleetNodeState
		if err := getJSON(admin, url+"/v1/admin/nodes", &nodes); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(nodes, fleetNodeState{ID: exp.City.FleetNode, State: "active"}) {
			t.Fatalf("fleet nodes %+v: want %s active", nodes, exp.City.FleetNode)
		}
		p.stop(t)
	}
}

type fleetNodeState struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// checkBundle fetches the commune's full bundle, verifies it against
// today's PKI and finds the recorded citizens in it.
func checkBundle(t *testing.T, admin *http.Client, url string, pki *certs.PKI, exp upgradeExpect) {
	t.Helper()
	resp, err := admin.Get(url + "/v1/subsets/" + exp.City.Commune + "/bundle")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("bundle: %s %v: %s", resp.Status, err, data)
	}
	b, err := bundle.Open(data, bundle.Verifier{Roots: pki.RootPool(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if b.Header.Count != exp.City.CommuneCitizens || b.Header.To != exp.City.SubsetVersion {
		t.Fatalf("bundle of %s: %d records at version %d; want %d at %d",
			exp.City.Commune, b.Header.Count, b.Header.To, exp.City.CommuneCitizens, exp.City.SubsetVersion)
	}
	if v := resp.Header.Get("X-Xanode-Subset-Version"); v != strconv.FormatUint(exp.City.SubsetVersion, 10) {
		t.Fatalf("subset version header %s, want %d", v, exp.City.SubsetVersion)
	}
	found := false
	err = b.Records(func(c *registry.Citizen) error {
		if c.ID == exp.City.SampleID {
			found = c.Get(registry.FieldFullName) == exp.City.SampleName && c.Get(registry.FieldOtherName) == exp.City.SampleOtherName
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("citizen %s (%s, %s) not in the bundle as recorded: %v", exp.City.SampleID, exp.City.SampleName, exp.City.SampleOtherName, err)
	}
}

// TestUpgradeEdgeStore opens a copy of the old release's edge store with
// today's code and finds everything that release left: identity, the
// verified subset, settled changes, the outbox, the audit chain and the
// officer's account.
func TestUpgradeEdgeStore(t *testing.T) {
	exp := readUpgradeExpect(t).Edge
	dir := t.TempDir()
	copyTree(t, filepath.Join(upgradeDir, "edge"), dir)
	st, err := edge.OpenStore(filepath.Join(dir, "edge.db"))
	if err != nil {
		t.Fatalf("today's code cannot open the old store: %v", err)
	}
	defer st.Close()
	if node, commune, err := st.Identity(); err != nil || node != exp.NodeID || commune != exp.Commune {
		t.Fatalf("identity %q %q %v, want %s %s", node, commune, err, exp.NodeID, exp.Commune)
	}
	info, err := st.Subset()
	if err != nil {
		t.Fatal(err)
	}
	if info.Commune != exp.Commune || info.Version != exp.SubsetVersion || info.Count != exp.SubsetCount ||
		hex.EncodeToString(info.Digest[:]) != exp.SubsetDigest {
		t.Fatalf("subset %+v, want %s version %d, %d records, digest %s", info, exp.Commune, exp.SubsetVersion, exp.SubsetCount, exp.SubsetDigest)
	}
	if err := st.VerifySubset(); err != nil {
		t.Fatalf("the old subset does not verify: %v", err)
	}
	c, err := st.Citizen(exp.SampleID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Get(registry.FieldFullName) != exp.SampleName || c.Get(registry.FieldOtherName) != exp.SampleOtherName {
		t.Fatalf("citizen %s: %q %q, want %q %q", exp.SampleID, c.Get(registry.FieldFullName), c.Get(registry.FieldOtherName), exp.SampleName, exp.SampleOtherName)
	}

	q, err := st.Queue()
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.Pending(100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range pending {
		ids = append(ids, p.ID())
	}
	if q.Pending != len(exp.Pending) || !slices.Equal(ids, exp.Pending) || q.LastSynced.IsZero() {
		t.Fatalf("outbox %+v holding %v, want %v and a last sync", q, ids, exp.Pending)
	}
	recent, err := st.Recent(100)
	if err != nil {
		t.Fatal(err)
	}
	settled := 0
	for _, r := range recent {
		if r.Outcome != nil {
			settled++
		}
	}
	if len(recent) != exp.Recorded || settled != exp.Settled {
		t.Fatalf("%d changes recorded, %d with outcomes; want %d and %d", len(recent), settled, exp.Recorded, exp.Settled)
	}
	if n, err := st.VerifyAudit(); err != nil || n != exp.AuditEntries {
		t.Fatalf("audit chain: %d entries, %v; want %d", n, err, exp.AuditEntries)
	}
	if _, err := st.Authenticate(context.Background(), exp.Officer, exp.OfficerPassword); err != nil {
		t.Fatalf("officer %s: %v", exp.Officer, err)
	}
}
