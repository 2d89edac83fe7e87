package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/wire"
)

// Edges send their hash-chained audit logs; the city keeps them and checks
// that each batch continues the chain it holds. A box re-imaged under the
// same node ID starts a new chain (seq 1, no predecessor): that opens a new
// epoch, kept beside the old one, and is visible to the auditor.

// AuditTip is what the city holds of a node's audit chain.
type AuditTip struct {
	Epoch     uint32      `json:"epoch"`            // chains the node has started (0: none yet)
	Seq       uint64      `json:"seq"`              // last entry held in the current epoch
	Hash      string      `json:"hash,omitempty"`   // its hash
	Broken    string      `json:"broken,omitempty"` // the first inconsistency seen, if any
	Restarted []time.Time `json:"restarted,omitempty"`
}

// AuditResult answers a KindAudit entry.
type AuditResult struct {
	Through uint64 `json:"through"` // the node may send from Through+1
}

func auditKey(node string, epoch uint32, seq uint64) []byte {
	k := append([]byte(node), 0)
	k = binary.BigEndian.AppendUint32(k, epoch)
	return binary.BigEndian.AppendUint64(k, seq)
}

func (t *txn) auditTip(node string) AuditTip {
	var tip AuditTip
	if v := t.get(bAuditTip, []byte(node)); v != nil {
		if err := json.Unmarshal(v, &tip); err != nil {
			panic(fmt.Sprintf("fsm: audit tip of %s: %v", node, err))
		}
	}
	return tip
}

func (f *FSM) applyAudit(t *txn, cmd *Command) any {
	op, now := cmd.Fleet, cmd.Received
	if t.get(bNodes, []byte(op.Node)) == nil && t.get(bFleet, []byte(op.Node)) == nil {
		return ErrUnknownNode
	}
	tip := t.auditTip(op.Node)
	entries := op.Audit
	first := entries[0]
	broken := func(msg string) any {
		if tip.Broken == "" {
			tip.Broken = msg
			f.storeTip(t, op.Node, tip)
		}
		return fmt.Errorf("fleet: audit chain of %s broken: %s", op.Node, msg)
	}
	switch {
	case first.Seq > tip.Seq+1:
		return &AuditResult{Through: tip.Seq} // a gap: send from what the city holds
	case first.Seq <= tip.Seq:
		held := t.get(bAudit, auditKey(op.Node, tip.Epoch, first.Seq))
		var h wire.AuditEntry
		if held != nil {
			json.Unmarshal(held, &h)
		}
		switch {
		case held != nil && h.Hash == first.Hash:
			// A resend of what the city holds (an answer was lost): skip it.
			n := min(int(tip.Seq-first.Seq)+1, len(entries))
			if n > 0 && entries[n-1].Seq == tip.Seq && entries[n-1].Hash != tip.Hash {
				return broken(fmt.Sprintf("entry %d differs from the one received before (altered or replaced log)", tip.Seq))
			}
			entries = entries[n:]
			if len(entries) == 0 {
				return &AuditResult{Through: tip.Seq}
			}
		case first.Seq == 1 && first.Prev == "":
			// A new chain under the same node ID: the box was re-imaged.
			tip = AuditTip{Epoch: tip.Epoch + 1, Broken: tip.Broken, Restarted: append(tip.Restarted, now)}
		default:
			return broken(fmt.Sprintf("entry %d differs from the one received before (altered or replaced log)", first.Seq))
		}
	case first.Prev != tip.Hash:
		return broken(fmt.Sprintf("entry %d does not link to entry %d", first.Seq, tip.Seq))
	}
	if tip.Epoch == 0 {
		tip.Epoch = 1
	}
	for _, e := range entries {
		v, _ := json.Marshal(e)
		t.put(bAudit, auditKey(op.Node, tip.Epoch, e.Seq), v, true)
		tip.Seq, tip.Hash = e.Seq, e.Hash
	}
	f.storeTip(t, op.Node, tip)
	return &AuditResult{Through: tip.Seq}
}

func (f *FSM) storeTip(t *txn, node string, tip AuditTip) {
	v, _ := json.Marshal(tip)
	t.put(bAuditTip, []byte(node), v, true)
}

// AuditTrail is a page of a node's audit log as the city holds it.
type AuditTrail struct {
	Tip     AuditTip          `json:"tip"`
	Entries []wire.AuditEntry `json:"entries"`
}

// Audit returns up to limit entries of the node's current chain after
// sequence number after.
func (f *FSM) Audit(node string, after uint64, limit int) (*AuditTrail, error) {
	out := &AuditTrail{}
	err := f.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bAuditTip).Get([]byte(node)); v != nil {
			if err := json.Unmarshal(v, &out.Tip); err != nil {
				return err
			}
		}
		prefix := auditKey(node, out.Tip.Epoch, 0)[:len(node)+5]
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Seek(auditKey(node, out.Tip.Epoch, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out.Entries) < limit; k, v = c.Next() {
			var e wire.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out.Entries = append(out.Entries, e)
		}
		return nil
	})
	return out, err
}
