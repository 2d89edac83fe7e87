package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ContentAudit is the media type of an audit batch (JSON array).
const ContentAudit = "application/vnd.xanode.audit+json"

// MaxAuditBatch bounds the entries of one audit push.
const MaxAuditBatch = 1000

// AuditEntry is one line of an edge's audit log: who did what about whom,
// when. Entries form a hash chain: each names the hash of the one before,
// so a removed, altered or reordered entry breaks every later hash. The
// edge writes them; the city checks the chain as they arrive.
type AuditEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Officer string    `json:"officer"`
	Action  string    `json:"action"`
	Citizen string    `json:"citizen,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash,omitempty"`
}

// ComputeHash is SHA-256 over the entry's JSON without its own hash. The
// JSON of this struct is the chain's definition: its fields and their
// order must never change.
func (a AuditEntry) ComputeHash() string {
	a.Hash = ""
	b, _ := json.Marshal(a)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrAudit is returned for a malformed audit batch.
var ErrAudit = errors.New("wire: malformed audit batch")

// DecodeAudit parses an audit batch strictly: a JSON array of at most
// MaxAuditBatch entries, consecutive sequence numbers, each linked to the
// one before by Prev and carrying its own correct hash. Whether the first
// entry continues what the city holds is the city's check.
func DecodeAudit(b []byte) ([]AuditEntry, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var es []AuditEntry
	if err := d.Decode(&es); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAudit, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrAudit)
	}
	if len(es) > MaxAuditBatch {
		return nil, fmt.Errorf("%w: %d entries, at most %d", ErrAudit, len(es), MaxAuditBatch)
	}
	for i, e := range es {
		switch {
		case e.Seq == 0:
			return nil, fmt.Errorf("%w: entry %d has sequence 0", ErrAudit, i)
		case i > 0 && (e.Seq != es[i-1].Seq+1 || e.Prev != es[i-1].Hash):
			return nil, fmt.Errorf("%w: entry %d does not follow entry %d", ErrAudit, e.Seq, es[i-1].Seq)
		case e.Hash != e.ComputeHash():
			return nil, fmt.Errorf("%w: entry %d: hash does not match its contents", ErrAudit, e.Seq)
		case len(e.Officer) > 64 || len(e.Action) > 32 || len(e.Citizen) > 32 || len(e.Detail) > 4096:
			return nil, fmt.Errorf("%w: entry %d: field too long", ErrAudit, e.Seq)
		}
	}
	return es, nil
}
