package fsm

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

func nodeKeyCmd(at time.Time, op NodeKeyOp) *Command {
	return &Command{Kind: KindNodeKey, Received: at, NodeKey: &op}
}

// TestNodeKeyLifecycle: an enrolled node escrows its slot secret, a
// request signed with its unlock key gets it back and is recorded, another
// key does not, a suspension refuses without erasing, and a revocation
// erases it for good, even after a new enrollment.
func TestNodeKeyLifecycle(t *testing.T) {
	l := seeded(t)
	f := l.f
	pub := make([]byte, ed25519.PublicKeySize)
	pub[0] = 1
	other := bytes.Repeat([]byte{2}, ed25519.PublicKeySize)
	secret := bytes.Repeat([]byte{7}, 32)
	escrow := NodeKeyOp{Op: NodeKeyEscrow, Node: "edge-9", Public: pub, Secret: secret}
	unlock := NodeKeyOp{Op: NodeKeyUnlock, Node: "edge-9", Public: pub, From: "203.0.113.7"}
	wrong := unlock
	wrong.Public = other
	steps := []struct {
		name string
		cmd  *Command
		err  error
	}{
		{"escrow of an unknown node", nodeKeyCmd(t0, escrow), ErrUnknownNode},
		{"token", fleetCmd(KindToken, t0, FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('a'), Expires: t0.Add(24 * time.Hour)}), nil},
		{"enroll", fleetCmd(KindEnroll, t0, FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(720 * time.Hour)}), nil},
		{"unlock before escrow", nodeKeyCmd(t0, unlock), ErrNoNodeKey},
		{"escrow", nodeKeyCmd(t0.Add(time.Minute), escrow), nil},
		{"unlock with another key", nodeKeyCmd(t0.Add(2*time.Minute), wrong), ErrUnlockKey},
		{"unlock", nodeKeyCmd(t0.Add(3*time.Minute), unlock), nil},
		{"suspend", fleetCmd(KindSuspend, t0.Add(time.Hour), FleetOp{Node: "edge-9", Reason: "not seen", By: "policy"}), nil},
		{"unlock while suspended", nodeKeyCmd(t0.Add(time.Hour), unlock), ErrSuspended},
		{"reinstate", fleetCmd(KindReinstate, t0.Add(2*time.Hour), FleetOp{Node: "edge-9", Reason: "seen"}), nil},
		{"unlock after reinstatement", nodeKeyCmd(t0.Add(2*time.Hour), unlock), nil},
		{"revoke", fleetCmd(KindRevoke, t0.Add(3*time.Hour), FleetOp{Node: "edge-9", Reason: "máy bị mất"}), nil},
		{"unlock of a revoked node", nodeKeyCmd(t0.Add(3*time.Hour), unlock), ErrRevoked},
		{"escrow of a revoked node", nodeKeyCmd(t0.Add(3*time.Hour), escrow), ErrRevoked},
		{"new token", fleetCmd(KindToken, t0.Add(4*time.Hour), FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('b'), Expires: t0.Add(30 * time.Hour)}), nil},
		{"re-enroll", fleetCmd(KindEnroll, t0.Add(4*time.Hour), FleetOp{Node: "edge-9", TokenHash: hash('b'), Serial: "s2", NotAfter: t0.Add(720 * time.Hour)}), nil},
		{"the revocation erased the secret", nodeKeyCmd(t0.Add(5*time.Hour), unlock), ErrNoNodeKey},
	}
	for _, s := range steps {
		res := l.apply(t, s.cmd)
		err, _ := res.(error)
		if s.err == nil && err != nil || s.err != nil && !errors.Is(err, s.err) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.err)
		}
		if s.name == "unlock" {
			r, ok := res.(*NodeKeyResult)
			if !ok || !bytes.Equal(r.Secret, secret) {
				t.Fatalf("unlock answered %#v", res)
			}
			nodes, _ := f.FleetNodes()
			var n *NodeRecord
			for _, r := range nodes {
				if r.ID == "edge-9" {
					n = r
				}
			}
			if n == nil || n.Unlocks != 1 || n.LastUnlockFrom != "203.0.113.7" || n.KeyEscrowed.IsZero() {
				t.Fatalf("unlock not recorded: %+v", n)
			}
		}
	}
	if info, err := f.NodeKey("edge-9"); err != nil || info.Public != nil || info.State != NodeActive {
		t.Fatalf("after re-enrollment: %+v, %v", info, err)
	}
}

func TestNodeKeyCommandCheck(t *testing.T) {
	pub := make([]byte, 32)
	for name, op := range map[string]NodeKeyOp{
		"short key":          {Op: NodeKeyEscrow, Node: "e", Public: pub[:5], Secret: pub},
		"escrow no secret":   {Op: NodeKeyEscrow, Node: "e", Public: pub},
		"unlock with secret": {Op: NodeKeyUnlock, Node: "e", Public: pub, Secret: pub},
		"unknown op":         {Op: "steal", Node: "e", Public: pub},
		"bad node":           {Op: NodeKeyUnlock, Node: "a b", Public: pub},
	} {
		b := nodeKeyCmd(t0, op).Encode()
		if _, err := DecodeCommand(b); !errors.Is(err, ErrCommand) {
			t.Errorf("%s: decoded (%v)", name, err)
		}
	}
	ok := nodeKeyCmd(t0, NodeKeyOp{Op: NodeKeyUnlock, Node: "edge-1", Public: pub, From: "127.0.0.1"})
	c, err := DecodeCommand(ok.Encode())
	if err != nil || c.NodeKey.From != "127.0.0.1" {
		t.Fatalf("round trip: %+v, %v", c, err)
	}
}
