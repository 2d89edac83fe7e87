package node

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/webui"
)

// fakeTPM seals with a key of its own: a blob opens on the same fake only.
type fakeTPM struct{ aead cipher.AEAD }

func newFakeTPM() *fakeTPM {
	k := make([]byte, 32)
	rand.Read(k)
	b, _ := aes.NewCipher(k)
	a, _ := cipher.NewGCMWithRandomNonce(b)
	return &fakeTPM{a}
}

func (f *fakeTPM) Seal(s []byte) ([]byte, error)   { return f.aead.Seal(nil, nil, s, nil), nil }
func (f *fakeTPM) Unseal(b []byte) ([]byte, error) { return f.aead.Open(nil, nil, b, nil) }

// upgradeFolder is a copy of the old release's edge folder (edge.db and
// store.key) with credentials for its node; the city is unreachable.
func upgradeFolder(t *testing.T) (dir, officer, password string) {
	t.Helper()
	var exp struct {
		Edge struct {
			NodeID          string `json:"node_id"`
			Commune         string `json:"commune"`
			Officer         string `json:"officer"`
			OfficerPassword string `json:"officer_password"`
		} `json:"edge"`
	}
	b, err := os.ReadFile("../testdata/upgrade/expect.json")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &exp)
	dir = t.TempDir()
	for _, f := range []string{"edge.db", "store.key"} {
		b, err := os.ReadFile(filepath.Join("../testdata/upgrade/edge", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pki, err := certs.Init(t.TempDir(), certs.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := pki.IssueNodeKey(exp.Edge.NodeID, certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteEdgeCredentials(dir, cred, pki.RootPEM(), EdgeIdentity{Node: exp.Edge.NodeID, Commune: exp.Edge.Commune,
		City: []string{"https://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	return dir, exp.Edge.Officer, exp.Edge.OfficerPassword
}

func startTestEdge(t *testing.T, dir string, tpm vault.TPM) (*Edge, *officerUI) {
	t.Helper()
	var ui *officerUI
	handler := func(n *Edge) (http.Handler, error) {
		ui = &officerUI{n: n, hub: n.events, now: time.Now, reads: n.reads}
		return webui.New(webui.Config{Officers: ui, Registry: ui, Log: quietLog()})
	}
	e, err := StartEdge(context.Background(), EdgeConfig{Dir: dir, Listen: "127.0.0.1:0", TPM: tpm, Log: quietLog(),
		Handler: handler, PullEvery: time.Hour, FleetEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, ui
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestUpgradeFolderConvertsAtFirstStart: the old release's folder starts
// (its key file opens a transitional slot), the officer's first login
// makes a durable slot and the key file and plain node key are shredded;
// after a restart, offline, the box is locked and the officer's login
// opens it.
func TestUpgradeFolderConvertsAtFirstStart(t *testing.T) {
	dir, officer, password := upgradeFolder(t)
	e, ui := startTestEdge(t, dir, nil)
	if lk := e.Locked(); lk.Kind != "" {
		t.Fatalf("the old folder did not open with its key file: %+v", lk)
	}
	if !vault.Exists(dir) || !exists(filepath.Join(dir, edge.KeyFileName)) {
		t.Fatal("conversion: want key slots, and the key file kept until a durable slot exists")
	}
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{edge.KeyFileName, edgeKeyFile} {
		if exists(filepath.Join(dir, f)) {
			t.Fatalf("%s left after the officer's slot was made", f)
		}
	}
	e.Close()

	e, ui = startTestEdge(t, dir, nil)
	if lk := e.Locked(); lk.Kind != LockLocked || e.Store() != nil {
		t.Fatalf("offline restart: %+v", lk)
	}
	if _, err := ui.Authenticate(context.Background(), officer, "not the password"); !errors.Is(err, webui.ErrBadLogin) {
		t.Fatalf("wrong password on a locked box: %v", err)
	}
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil || e.Store() == nil {
		t.Fatalf("the officer's login did not open the box: %v", err)
	}
	if _, err := e.Store().Subset(); err != nil {
		t.Fatal(err)
	}
}

// TestTPMSlot: with a TPM, the first start seals a slot to it (and the
// key file goes at once); the next start opens with the TPM, offline; a
// start without it stays locked.
func TestTPMSlot(t *testing.T) {
	dir, _, _ := upgradeFolder(t)
	tpm := newFakeTPM()
	e, _ := startTestEdge(t, dir, tpm)
	if e.Locked().Kind != "" || exists(filepath.Join(dir, edge.KeyFileName)) {
		t.Fatalf("first start with a TPM: %+v, key file kept: %v", e.Locked(), exists(filepath.Join(dir, edge.KeyFileName)))
	}
	e.Close()
	e, _ = startTestEdge(t, dir, tpm)
	if e.Locked().Kind != "" {
		t.Fatalf("the TPM did not open the box: %+v", e.Locked())
	}
	e.Close()
	e, _ = startTestEdge(t, dir, newFakeTPM())
	if e.Locked().Kind != LockLocked {
		t.Fatalf("another TPM opened the box: %+v", e.Locked())
	}
}

// TestRevokeDestroysSlots: a revocation locks the running edge, ends what
// it serves and destroys the slots; with KeepSlotsOnRevoke it locks and
// keeps them.
func TestRevokeDestroysSlots(t *testing.T) {
	for _, keep := range []bool{false, true} {
		dir, officer, password := upgradeFolder(t)
		e, ui := startTestEdge(t, dir, nil)
		e.cfg.KeepSlotsOnRevoke = keep
		if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		e.revoke("máy bị mất")
		took := time.Since(start)
		if lk := e.Locked(); lk.Kind != LockRevoked || e.Store() != nil {
			t.Fatalf("after revoke: %+v", lk)
		}
		if _, err := ui.Lookup(officer, "092196007919"); !errors.Is(err, webui.ErrLocked) {
			t.Fatalf("lookup on a revoked box: %v", err)
		}
		if stamp, _ := ui.AccountStamp(officer); stamp != "" {
			t.Fatal("a revoked box keeps sessions")
		}
		if _, err := ui.Authenticate(context.Background(), officer, password); err == nil {
			t.Fatal("an officer's login opened a revoked box")
		}
		if vault.Exists(dir) != keep || exists(filepath.Join(dir, edgeSealedKey)) != keep {
			t.Fatalf("keep=%v: slots left %v", keep, vault.Exists(dir))
		}
		t.Logf("keep=%v: locked in %v", keep, took.Round(time.Microsecond))
		e.Close()
		e, ui = startTestEdge(t, dir, nil)
		e.cfg.KeepSlotsOnRevoke = keep
		if lk := e.Locked(); lk.Kind != LockRevoked || lk.Reason != "máy bị mất" {
			t.Fatalf("restart of a revoked box: %+v", lk)
		}
		// Kept slots let an officer open the box to investigate.
		if _, err := ui.Authenticate(context.Background(), officer, password); (err == nil) != keep {
			t.Fatalf("keep=%v: officer's login on the restarted revoked box: %v", keep, err)
		}
	}
}

// lockedFolder is the old release's folder after its first start: the
// officer's login made a key slot and the key file is gone, so the next
// start, offline, is locked until that officer logs in.
func lockedFolder(t *testing.T) (dir, officer, password string) {
	t.Helper()
	dir, officer, password = upgradeFolder(t)
	e, ui := startTestEdge(t, dir, nil)
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(dir, edge.KeyFileName)) {
		t.Fatal("the key file outlived the officer's slot")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, officer, password
}

// TestClockFloorAcrossLocks: the clock floor lives with the node, not the
// store: a rewrite under a new key (the store closed and opened again)
// keeps it in memory, and after a restart the locked box takes the floor
// saved in the store when an officer's login opens it.
func TestClockFloorAcrossLocks(t *testing.T) {
	dir, officer, password := lockedFolder(t)
	e, ui := startTestEdge(t, dir, nil)
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(40 * 24 * time.Hour)
	e.clock.CityTime(later) // the city says forty days have passed
	if done, err := e.rekeyLive("test"); err != nil || !done {
		t.Fatalf("rewrite under a new key: %v, %v", done, err)
	}
	if got := e.clock.Now(); got.Before(later) {
		t.Fatalf("the floor was lost when the store closed and opened again: %v", got)
	}
	if err := e.Close(); err != nil { // saves the floor in the store
		t.Fatal(err)
	}

	e, ui = startTestEdge(t, dir, nil)
	if e.Locked().Kind != LockLocked {
		t.Fatalf("offline restart: %+v", e.Locked())
	}
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
		t.Fatal(err)
	}
	if got := e.clock.Now(); got.Before(later) {
		t.Fatalf("the floor saved in the store was not taken when the store opened: %v, want after %v", got, later)
	}
	st, err := e.Services().Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Frozen {
		t.Errorf("forty days on by the city's clock, the subset is not frozen (edge time %v)", st.CheckedAt)
	}
}

// TestLockedEdgeTransport: a locked edge serves its login page under the
// transport rules: refused on the office network without a UI
// certificate unless --insecure-http, then warning on the page beside
// the lock; a Host that is not the box's gets 421.
func TestLockedEdgeTransport(t *testing.T) {
	dir, _, _ := lockedFolder(t)
	cfg := EdgeConfig{Dir: dir, Listen: "0.0.0.0:0", Log: quietLog(), Handler: OfficerUI(nil),
		PullEvery: time.Hour, FleetEvery: time.Hour}
	if _, err := StartEdge(context.Background(), cfg); !errors.Is(err, ErrInsecureListen) {
		t.Fatalf("plain HTTP on every address without --insecure-http: %v", err)
	}
	cfg.InsecureHTTP = true
	e, err := StartEdge(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if e.Locked().Kind != LockLocked {
		t.Fatalf("not locked: %+v", e.Locked())
	}
	get := func(host string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/login", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get("127.0.0.1")
	if code != http.StatusOK {
		t.Fatalf("login page of the locked box: %d", code)
	}
	for _, want := range []string{`class="banner insecure"`, `id="lock"`, "Máy đang khóa"} {
		if !strings.Contains(page, want) {
			t.Errorf("the locked box's login page lacks %q", want)
		}
	}
	if code, _ := get("rebind.attacker.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("a foreign Host on the locked box: %d, want 421", code)
	}
}

// TestLockedLoginThroughTheGate: the officer slot a login on a locked
// box tries is derived through the process's KDF gate: with no turn the
// login is refused as busy (503 in the UI), nothing was tried and the box
// stays locked; with a turn the same login opens it.
func TestLockedLoginThroughTheGate(t *testing.T) {
	dir, officer, password := lockedFolder(t)
	e, ui := startTestEdge(t, dir, nil)
	hold, running := make(chan struct{}), make(chan struct{}, 2)
	for range 2 {
		go edge.KDF.Do(context.Background(), func() { running <- struct{}{}; <-hold })
	}
	<-running
	<-running
	_, err := ui.Authenticate(context.Background(), officer, password)
	close(hold)
	if !errors.Is(err, webui.ErrBusy) || !errors.Is(err, edge.ErrBusy) {
		t.Fatalf("login on a locked box without a KDF turn: %v", err)
	}
	if e.Locked().Kind != LockLocked {
		t.Fatalf("the box opened without a KDF turn: %+v", e.Locked())
	}
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil || e.Store() == nil {
		t.Fatalf("the login with a turn: %v", err)
	}
}
