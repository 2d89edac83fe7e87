package fsm

import (
	"errors"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/digest"
)

// Backup is a consistent view of the state for a backup: one bbolt read
// transaction, begun after every applied entry was committed. Applies go
// on while it is open (bbolt readers do not block the writer); a Restore
// or Close of the FSM waits until it is closed. Close it once done.
type Backup struct {
	// Status is the summary of the state in this view: the applied index
	// and the digest describe exactly the bytes WriteTo writes.
	Status Status
	// Size is the number of bytes WriteTo writes.
	Size int64
	tx   *bolt.Tx
}

// Backup opens a consistent view of the state. Like Snapshot, it holds the
// FSM's lock only to begin the transaction.
func (f *FSM) Backup() (*Backup, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return nil, ErrClosed
	}
	f.flush() // the view must hold every entry applied so far
	tx, err := f.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("fsm: backup: %w", err)
	}
	st, err := statusOf(tx)
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("fsm: backup: %w", err)
	}
	return &Backup{Status: st, Size: tx.Size(), tx: tx}, nil
}

// WriteTo writes the state as a bbolt file of b.Size bytes, the form that
// Restore reads.
func (b *Backup) WriteTo(w io.Writer) (int64, error) {
	if b.tx == nil {
		return 0, errors.New("fsm: backup already closed")
	}
	return b.tx.WriteTo(w)
}

// Close ends the view. Safe to call twice.
func (b *Backup) Close() error {
	if b.tx == nil {
		return nil
	}
	err := b.tx.Rollback()
	b.tx = nil
	return err
}

// statusOf reads the summary of the state in tx.
func statusOf(tx *bolt.Tx) (Status, error) {
	var s Status
	m := tx.Bucket(bMeta)
	if m == nil {
		return s, errors.New("no meta bucket: not an FSM state file")
	}
	s.AppliedIndex, s.Citizens, s.Changes = meta(m, kApplied), meta(m, kCitizens), meta(m, kSeq)
	s.Commands, s.Level = meta(m, kCommands), levelOf(tx)
	h := digest.New()
	if v := m.Get(kDigest); v != nil {
		if err := h.UnmarshalBinary(v); err != nil {
			return s, fmt.Errorf("stored state digest: %w", err)
		}
	}
	s.Digest = h.Sum()
	return s, nil
}

// ErrDigestMismatch: a state file's records do not add up to the digest
// stored with them.
var ErrDigestMismatch = errors.New("fsm: the records do not match the stored state digest")

// Verify reads a state file that no process has open (a restored backup,
// a stopped node's fsm.db) and recomputes its state digest from every
// record of the primary buckets. It returns the file's summary when the
// recomputed digest equals the stored one, and ErrDigestMismatch naming
// both when not. It changes nothing. It hashes every record: expect about
// a minute per ten million records.
func Verify(path string) (Status, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return Status{}, fmt.Errorf("fsm: verify %s: %w", path, err)
	}
	defer db.Close()
	var st Status
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		if st, err = statusOf(tx); err != nil {
			return err
		}
		h := digest.New()
		add := func(name, k, v []byte) { h.Add(digestKey(name, k), v) }
		if err := verifyChain(tx, add); err != nil {
			return err
		}
		for _, name := range primary {
			b := tx.Bucket(name)
			if b == nil || string(name) == string(bHistory) || string(name) == string(bOutcomes) {
				continue // a bucket newer than the file (empty), or hashed by verifyChain
			}
			err := b.ForEach(func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("bucket %s holds a nested bucket %q", name, k)
				}
				h.Add(digestKey(name, k), v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if got := h.Sum(); got != st.Digest {
			return fmt.Errorf("%w: records give %x, stored %x", ErrDigestMismatch, got, st.Digest)
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("fsm: verify %s: %w", path, err)
	}
	return st, nil
}
