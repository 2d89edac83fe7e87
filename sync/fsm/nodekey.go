package fsm

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An edge box keeps its data key in key slots; one of them opens with a
// secret the city holds for it (the box's city slot), so that an online
// box starts unattended and a revoked one can never be opened by the city
// again. The city keeps, per node, that secret and the public half of the
// box's unlock key, which signs the unlock requests of a box that is
// still locked (its mTLS key is sealed until then). Escrows and unlocks
// are raft commands, so an unlock is decided in log order against the
// revocation: once KindRevoke is applied, every replica has deleted the
// secret (crypto-erase on the city side) and no unlock that follows it in
// the log can return one.
//
// The secret stays in the raft log entry that escrowed it until a
// snapshot compacts the log, and in city backups made before the
// revocation: city nodes' disks and backups must be protected as the
// population they hold is.

// Node key operations (NodeKeyOp.Op).
const (
	NodeKeyEscrow = "escrow" // an edge gives the city its slot secret and unlock key
	NodeKeyUnlock = "unlock" // a locked edge asks for its slot secret
)

// Node key errors, the FSM's verdict.
var (
	// ErrNoNodeKey: the city holds no slot secret for the node (never
	// escrowed, or erased by a revocation).
	ErrNoNodeKey = errors.New("fleet: the city holds no key slot secret for this node")
	// ErrUnlockKey: the unlock request was signed by another key than the
	// one escrowed (another box, or a box re-imaged since).
	ErrUnlockKey = errors.New("fleet: unlock key does not match the one escrowed")
)

// NodeKeyOp is the payload of KindNodeKey.
type NodeKeyOp struct {
	Op     string `json:"op"`
	Node   string `json:"node"`
	Public []byte `json:"public"`           // Ed25519 public key of the box's unlock key
	Secret []byte `json:"secret,omitempty"` // NodeKeyEscrow: the slot secret
	From   string `json:"from,omitempty"`   // NodeKeyUnlock: the caller's address, recorded
}

// NodeKeyResult answers a NodeKeyUnlock.
type NodeKeyResult struct {
	Secret []byte `json:"secret"`
}

// NodeKeyInfo is what the API reads before it asks raft for an unlock.
type NodeKeyInfo struct {
	Public ed25519.PublicKey // nil: no secret held
	State  string            // the fleet state ("" unknown node)
	Reason string
}

// nodeKey is a stored escrow.
type nodeKey struct {
	Public   []byte    `json:"public"`
	Secret   []byte    `json:"secret"`
	Escrowed time.Time `json:"escrowed"`
}

var bNodeKeys = []byte("node_keys") // node ID → nodeKey (JSON)

const maxFromLen = 128

func (c *Command) checkNodeKey() error {
	op := c.NodeKey
	switch {
	case op == nil || !validName(op.Node):
		return errors.New("node key command without a valid node")
	case len(op.Public) != ed25519.PublicKeySize:
		return fmt.Errorf("node key: public key of %d bytes", len(op.Public))
	case op.Op == NodeKeyEscrow && (len(op.Secret) != 32 || op.From != ""):
		return errors.New("node key escrow needs a 32-byte secret and no address")
	case op.Op == NodeKeyUnlock && (len(op.Secret) != 0 || len(op.From) > maxFromLen):
		return errors.New("node key unlock carries no secret and a short address")
	case op.Op != NodeKeyEscrow && op.Op != NodeKeyUnlock:
		return fmt.Errorf("node key: unknown operation %q", op.Op)
	}
	return nil
}

// applyNodeKey escrows a secret or answers an unlock. Only an active node
// may do either; an error response changes nothing.
func (f *FSM) applyNodeKey(t *txn, cmd *Command) any {
	op, now := cmd.NodeKey, cmd.Received
	r := t.loadNode(op.Node)
	if r == nil && op.Op == NodeKeyEscrow && t.get(bNodes, []byte(op.Node)) != nil {
		r = &NodeRecord{ID: op.Node, State: NodeActive, Changed: now}
	}
	switch {
	case r == nil:
		return ErrUnknownNode
	case r.State != NodeActive:
		return fmt.Errorf("%w: %s", stateErr(r.State), r.Reason)
	}
	if op.Op == NodeKeyEscrow {
		v, _ := json.Marshal(nodeKey{Public: op.Public, Secret: op.Secret, Escrowed: now})
		t.put(bNodeKeys, []byte(op.Node), v, true)
		r.KeyEscrowed = now
		f.storeNode(t, r)
		return nil
	}
	k := loadNodeKey(t.tx, op.Node)
	switch {
	case k == nil:
		return ErrNoNodeKey
	case !bytes.Equal(k.Public, op.Public):
		return ErrUnlockKey
	}
	r.Unlocks++
	r.LastUnlock, r.LastUnlockFrom = now, op.From
	f.storeNode(t, r)
	return &NodeKeyResult{Secret: k.Secret}
}

// eraseNodeKey deletes a node's slot secret (revocation).
func eraseNodeKey(t *txn, r *NodeRecord) {
	t.del(bNodeKeys, []byte(r.ID))
	r.KeyEscrowed = time.Time{}
}

func loadNodeKey(tx *bolt.Tx, node string) *nodeKey {
	b := tx.Bucket(bNodeKeys)
	if b == nil {
		return nil
	}
	v := b.Get([]byte(node))
	if v == nil {
		return nil
	}
	k := &nodeKey{}
	if err := json.Unmarshal(v, k); err != nil {
		panic(fmt.Sprintf("fsm: node key of %s: %v", node, err))
	}
	return k
}

// NodeKey reads what the city holds for a node's key slot, without the
// secret.
func (f *FSM) NodeKey(node string) (NodeKeyInfo, error) {
	var out NodeKeyInfo
	err := f.view(func(tx *bolt.Tx) error {
		if k := loadNodeKey(tx, node); k != nil {
			out.Public = ed25519.PublicKey(k.Public)
		}
		if v := tx.Bucket(bFleet).Get(fleetKey(node)); v != nil {
			r := &NodeRecord{}
			if err := json.Unmarshal(v, r); err != nil {
				return err
			}
			out.State, out.Reason = r.State, r.Reason
		} else if tx.Bucket(bNodes).Get([]byte(node)) != nil {
			out.State = NodeActive
		}
		return nil
	})
	return out, err
}
