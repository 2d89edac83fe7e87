package cityapi

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// TestKeySlotEscrowUnlockRevoke: an enrolled edge escrows its slot
// secret; a locked edge (no client certificate) gets it back with a
// request its unlock key signed, not with another key nor a replayed
// nonce; a revocation makes the city answer "revoked" and forget the
// secret.
func TestKeySlotEscrowUnlockRevoke(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	_, er, cert := k.enrollAs(t, k.token(t, admin, "92101", ""))
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	secret := make([]byte, 32)
	rand.Read(secret)
	body, _ := json.Marshal(wire.KeyEscrow{Public: pub, Secret: secret})
	if code, b := do(t, k.client(t, cert), "POST", k.srv.URL+"/v1/keyslot", "application/json", body); code != http.StatusOK {
		t.Fatalf("escrow: %d %s", code, b)
	}
	u := &client.Unlocker{URLs: []string{k.srv.URL}, Roots: k.pki.RootPool(), Node: er.Node, Key: key}
	ctx := context.Background()
	res, err := u.Unlock(ctx)
	if err != nil || string(res.Secret) != string(secret) {
		t.Fatalf("unlock: %x, %v", res.Secret, err)
	}
	if _, err := u.Probe(ctx); err != nil {
		t.Fatalf("probe: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	bad := &client.Unlocker{URLs: u.URLs, Roots: u.Roots, Node: er.Node, Key: other}
	if _, err := bad.Unlock(ctx); !errors.Is(err, client.ErrNoSlotSecret) {
		t.Fatalf("another key: %v", err)
	}
	// A replayed request is refused.
	var ch wire.UnlockChallenge
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool(), MinVersion: tls.VersionTLS13}}}
	code, b := do(t, anon, "GET", k.srv.URL+"/v1/unlock/challenge?node="+er.Node, "", nil)
	json.Unmarshal(b, &ch)
	req, _ := json.Marshal(wire.UnlockRequest{Node: er.Node, Nonce: ch.Nonce, Signature: ed25519.Sign(key, wire.UnlockMessage(er.Node, ch.Nonce, false))})
	if code, b = do(t, anon, "POST", k.srv.URL+"/v1/unlock", "application/json", req); code != http.StatusOK {
		t.Fatalf("signed unlock: %d %s", code, b)
	}
	if code, _ = do(t, anon, "POST", k.srv.URL+"/v1/unlock", "application/json", req); code != http.StatusUnauthorized {
		t.Fatalf("replayed unlock: %d", code)
	}
	nodes, _ := k.node.FSM().FleetNodes()
	if nodes[0].Unlocks != 2 || nodes[0].LastUnlockFrom == "" {
		t.Fatalf("unlocks not recorded: %+v", nodes[0])
	}
	// Each escrow writes the log: a box gets escrowPerHour, then 429,
	// also for what a follower forwards in its name.
	for i := 1; i < escrowPerHour; i++ {
		if code, b := do(t, k.client(t, cert), "POST", k.srv.URL+"/v1/keyslot", "application/json", body); code != http.StatusOK {
			t.Fatalf("escrow %d: %d %s", i+1, code, b)
		}
	}
	if code, b := do(t, k.client(t, cert), "POST", k.srv.URL+"/v1/keyslot", "application/json", body); code != http.StatusTooManyRequests {
		t.Fatalf("escrow %d: %d %s", escrowPerHour+1, code, b)
	}
	nodeCert, _ := k.pki.Node("city-1")
	cmd := &fsm.Command{Kind: fsm.KindNodeKey, From: fsm.Sender{Role: registry.RoleCity, ID: "city-2"},
		NodeKey: &fsm.NodeKeyOp{Op: fsm.NodeKeyEscrow, Node: er.Node, Public: pub, Secret: secret}}
	if code, b := do(t, k.client(t, nodeCert), "POST", k.srv.URL+api.PostApply.Path, "", cmd.Encode()); code != http.StatusTooManyRequests {
		t.Fatalf("a forwarded escrow past the limit: %d %s", code, b)
	}
	body, _ = json.Marshal(api.NodeAction{Node: er.Node, Reason: "máy bị mất"})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/revoke", "application/json", body); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, b)
	}
	res, err = u.Unlock(ctx)
	if !errors.Is(err, client.ErrNodeRevoked) || res.Reason != "máy bị mất" || res.Secret != nil {
		t.Fatalf("unlock after revocation: %+v, %v", res, err)
	}
}

func TestUnlockRateLimit(t *testing.T) {
	g := newSlotGuard()
	now := time.Unix(1e9, 0)
	for i := range unlockPerNode {
		if ok, _ := g.perNode.allow("n", now); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	if ok, wait := g.perNode.allow("n", now); ok || wait <= 0 || wait > unlockWindow {
		t.Fatalf("over the limit: allowed %v, wait %v", ok, wait)
	}
	if ok, _ := g.perNode.allow("other", now); !ok {
		t.Fatal("another node refused")
	}
	if ok, _ := g.perNode.allow("n", now.Add(unlockWindow)); !ok {
		t.Fatal("not allowed in the next window")
	}
	n := g.nonce("n", now)
	if g.spend("m", n, now) || g.spend("n", n, now.Add(nonceLife)) {
		t.Fatal("nonce accepted for another node or expired")
	}
	if !g.spend("n", n, now) || g.spend("n", n, now) {
		t.Fatal("nonce not spent once")
	}
}

// TestClientHearsRevocation: once the node is revoked, the edge's sync
// client tells its owner, whether the city refuses the handshake or
// answers 403 naming the revocation on a connection opened before.
func TestClientHearsRevocation(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	_, er, cert := k.enrollAs(t, k.token(t, admin, "92101", ""))
	c, err := client.New([]string{k.srv.URL}, certs.ClientTLS(cert, k.pki.RootPool()))
	if err != nil {
		t.Fatal(err)
	}
	heard := make(chan bool, 4)
	c.OnRefused(func(revoked bool, _ string) { heard <- revoked })
	ctx := context.Background()
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(api.NodeAction{Node: er.Node, Reason: "máy bị mất"})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/revoke", "application/json", body); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if _, err := c.WhoAmI(ctx); err == nil {
		t.Fatal("a revoked edge was served")
	}
	select {
	case revoked := <-heard:
		t.Logf("heard the refusal (named revocation: %v)", revoked)
	default:
		t.Fatal("the client did not report the refusal")
	}
	c.Reconnect()
	c.WhoAmI(ctx)
	select {
	case <-heard:
	default:
		t.Fatal("the client did not report a refused handshake")
	}
}
