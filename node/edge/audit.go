package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/wire"
)

// Audit actions.
const (
	AuditLookup   = "lookup"   // an officer viewed a record
	AuditIdentify = "identify" // a card or QR was read
	AuditRecord   = "record"   // a change was recorded
	AuditPassword = "password" // an officer changed their own password (detail: city or local account)
	AuditReport   = "report"   // an officer made the monthly report (detail: commune and month)
	AuditPrint    = "print"    // a document was printed (detail: AttestPrefix and its signed proof)
)

// AuditEntry is one line of the edge's audit log (see wire.AuditEntry:
// the city checks the same chain when the entries arrive).
type AuditEntry = wire.AuditEntry

// AttestPrefix starts the detail of a print entry, before the proof's
// JSON (sync/attest).
const AttestPrefix = "attest "

// ErrAuditChain is returned by VerifyAudit when the chain is broken.
var ErrAuditChain = errors.New("edge: audit chain broken")

// Audit appends an entry, chained to the previous one, durably. Entries
// name citizens and what differed on their cards, so they are sealed like
// the subset; the chain is over the plain entries.
func (s *Store) Audit(at time.Time, officer, action, citizen, detail string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return s.audit(tx, at, officer, action, citizen, detail) })
}

// audit appends an entry within tx, so that it commits or fails with what
// it records.
func (s *Store) audit(tx *bolt.Tx, at time.Time, officer, action, citizen, detail string) error {
	b := tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	m := tx.Bucket(bMeta)
	e := AuditEntry{Seq: seq, Time: at.UTC(), Officer: officer, Action: action, Citizen: citizen,
		Detail: detail, Prev: string(m.Get(kAuditTip))}
	e.Hash = e.ComputeHash()
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := u64(seq)
	if err := b.Put(k, s.keys.seal(bAudit, k, v)); err != nil {
		return err
	}
	return m.Put(kAuditTip, []byte(e.Hash))
}

// AuditSeq is Audit, returning the entry's sequence number: a printed
// document's verification code names the entry that holds its proof.
func (s *Store) AuditSeq(at time.Time, officer, action, citizen, detail string) (seq uint64, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := s.audit(tx, at, officer, action, citizen, detail); err != nil {
			return err
		}
		seq = tx.Bucket(bAudit).Sequence()
		return nil
	})
	return seq, err
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
			if e.Seq != want || e.Prev != prev || e.Hash != e.ComputeHash() {
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

// AuditAfter returns up to limit audit entries after sequence number
// after, in order.
func (s *Store) AuditAfter(after uint64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			plain, err := s.keys.open(bAudit, k, v)
			if err != nil {
				return fmt.Errorf("%w at entry %x: %w", ErrAuditChain, k, err)
			}
			var e AuditEntry
			if err := json.Unmarshal(plain, &e); err != nil {
				return fmt.Errorf("%w: entry %x: %v", ErrAuditChain, k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AuditSent is the last audit sequence number the city holds.
func (s *Store) AuditSent() (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error { n = getU64(tx.Bucket(bMeta), kAuditSent); return nil })
	return n, err
}

// SetAuditSent records what the city holds (it may also move back, when
// the city asks for entries again).
func (s *Store) SetAuditSent(seq uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kAuditSent, u64(seq)) })
}

// Findings is how many identifications found the card and the record
// disagreeing (data-quality findings).
func (s *Store) Findings() (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error { n = getU64(tx.Bucket(bMeta), kFindings); return nil })
	return n, err
}

func (s *Store) addFinding() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		return m.Put(kFindings, u64(getU64(m, kFindings)+1))
	})
}
