package fsm

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/wire"
)

// AuditEntries returns entry seq of every audit chain the node has
// started (a re-imaged box starts again at 1), oldest chain first: a
// printed document's code names a node and a sequence number, and the
// check in the code tells which of them holds its proof.
func (f *FSM) AuditEntries(node string, seq uint64) ([]wire.AuditEntry, error) {
	var out []wire.AuditEntry
	err := f.view(func(tx *bolt.Tx) error {
		var tip AuditTip
		if v := tx.Bucket(bAuditTip).Get([]byte(node)); v != nil {
			if err := json.Unmarshal(v, &tip); err != nil {
				return err
			}
		}
		for epoch := uint32(0); epoch <= tip.Epoch; epoch++ {
			v := tx.Bucket(bAudit).Get(auditKey(node, epoch, seq))
			if v == nil {
				continue
			}
			var e wire.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
