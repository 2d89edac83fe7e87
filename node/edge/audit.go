package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Audit actions.
const (
	AuditLookup   = "lookup"   // an officer viewed a record
	AuditIdentify = "identify" // a card or QR was read
	AuditRecord   = "record"   // a change was recorded
)

// AuditEntry is one line of the edge's audit log: who did what about whom,
// when. Entries form a hash chain: each names the hash of the one before,
// so a removed, altered or reordered entry breaks every later hash.
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

// hash is SHA-256 over the entry's JSON without its own hash.
func (a AuditEntry) hash() string {
	a.Hash = ""
	b, _ := json.Marshal(a)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrAuditChain is returned by VerifyAudit when the chain is broken.
var ErrAuditChain = errors.New("edge: audit chain broken")

// Audit appends an entry, chained to the previous one, durably. Entries
// name citizens and what differed on their cards, so they are sealed like
// the subset; the chain is over the plain entries.
func (s *Store) Audit(at time.Time, officer, action, citizen, detail string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		m := tx.Bucket(bMeta)
		e := AuditEntry{Seq: seq, Time: at.UTC(), Officer: officer, Action: action, Citizen: citizen,
			Detail: detail, Prev: string(m.Get(kAuditTip))}
		e.Hash = e.hash()
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		k := u64(seq)
		if err := b.Put(k, s.keys.seal(bAudit, k, v)); err != nil {
			return err
		}
		return m.Put(kAuditTip, []byte(e.Hash))
	})
}

// VerifyAudit walks the whole chain and returns the number of entries, or
// an error naming the first entry that does not fit.
func (s *Store) VerifyAudit() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		prev := ""
		var want uint64 = 1
		err := b.ForEach(func(k, v []byte) error {
			plain, err := s.keys.open(bAudit, k, v)
			if err != nil {
				return fmt.Errorf("%w at entry %d: %w", ErrAuditChain, want, err)
			}
			var e AuditEntry
			if err := json.Unmarshal(plain, &e); err != nil {
				return fmt.Errorf("%w: entry %x: %v", ErrAuditChain, k, err)
			}
			if e.Seq != want || e.Prev != prev || e.Hash != e.hash() {
				return fmt.Errorf("%w at entry %d", ErrAuditChain, want)
			}
			prev, want = e.Hash, want+1
			n++
			return nil
		})
		if err == nil && prev != string(tx.Bucket(bMeta).Get(kAuditTip)) {
			return fmt.Errorf("%w: the last entries are missing", ErrAuditChain)
		}
		return err
	})
	return n, err
}
