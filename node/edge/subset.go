package edge

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/digest"
)

// SubsetInfo describes the subset held.
type SubsetInfo struct {
	Commune string
	Version uint64
	Digest  [32]byte
	Count   uint64
	Created time.Time // of the bundle that brought the subset or refreshed it last
	Expires time.Time
}

// failPoint, set by tests only, runs inside an import's transaction after
// each record it writes: an error aborts the import there, and a pause
// lets a test kill the process in the middle of an import.
var failPoint func(records int) error

// Subset returns what subset is held; ErrNoSubset if none.
func (s *Store) Subset() (SubsetInfo, error) {
	var info SubsetInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		if info, ok = readInfo(tx.Bucket(bMeta)); !ok {
			return ErrNoSubset
		}
		return nil
	})
	return info, err
}

func readInfo(m *bolt.Bucket) (SubsetInfo, bool) {
	if m.Get(kVersion) == nil {
		return SubsetInfo{}, false
	}
	info := SubsetInfo{
		Commune: string(m.Get(kSubsetCommune)),
		Version: getU64(m, kVersion),
		Count:   getU64(m, kCount),
		Created: time.UnixMilli(int64(getU64(m, kCreated))).UTC(),
		Expires: time.UnixMilli(int64(getU64(m, kExpires))).UTC(),
	}
	copy(info.Digest[:], m.Get(kDigest))
	return info, true
}

// putInfo records the subset now held and its digest state.
func putInfo(m *bolt.Bucket, info SubsetInfo, state *digest.Hash) error {
	st, err := state.MarshalBinary()
	if err != nil {
		return err
	}
	for k, v := range map[string][]byte{
		string(kSubsetCommune): []byte(info.Commune),
		string(kVersion):       u64(info.Version),
		string(kCount):         u64(info.Count),
		string(kDigest):        info.Digest[:],
		string(kCreated):       u64(uint64(info.Created.UnixMilli())),
		string(kExpires):       u64(uint64(info.Expires.UnixMilli())),
		string(kState):         st,
	} {
		if err := m.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func infoOf(b *bundle.Bundle, count uint64) SubsetInfo {
	return SubsetInfo{Commune: b.Commune, Version: b.To, Digest: b.Digest, Count: count, Created: b.Created, Expires: b.Expires}
}

// installFull replaces the subset with an opened full bundle, whose
// records p prepared, and the city's officer accounts with its list (when
// it has one), in one transaction: a crash or an error midway leaves the
// previous subset and accounts whole. Hashing and sealing every record
// happened before, so the transaction only writes: it is shorter, and the
// sorted keys let bbolt fill its pages in order. It refuses a bundle older
// than the subset held of its commune (ErrRollback), and one of the same
// version unless it was signed later (ErrNotNewer): a later signature of
// the same version renews the expiry and repairs a subset a delta could
// not be applied to. Which commune's bundles to accept is the caller's
// decision (Importer checks it).
func (s *Store) installFull(b *bundle.Bundle, p *fullRows) (SubsetInfo, error) {
	p.finish()
	if p.n != b.Count {
		return SubsetInfo{}, fmt.Errorf("edge: %d records prepared of the %d in the bundle", p.n, b.Count)
	}
	info := infoOf(b, b.Count)
	err := s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if held, ok := readInfo(m); ok && held.Commune == b.Commune {
			if err := checkNewer(held, b); err != nil {
				return err
			}
		}
		if err := purge(tx); err != nil {
			return err
		}
		for i, rows := range [][]row{p.records, p.names, p.households} {
			bk := tx.Bucket(subsetBuckets[i])
			bk.FillPercent = 0.95
			for n, r := range rows {
				if err := bk.Put(r.k, r.v); err != nil {
					return err
				}
				if i == 0 && failPoint != nil {
					if err := failPoint(n + 1); err != nil {
						return err
					}
				}
			}
		}
		if b.Officers != nil {
			if err := s.installOfficers(tx, b.Officers); err != nil {
				return err
			}
		}
		return putInfo(m, info, b.SubsetState())
	})
	if err != nil {
		return SubsetInfo{}, err
	}
	return info, nil
}

// row is one key and value to write.
type row struct{ k, v []byte }

// fullRows prepares what a full subset writes (records, name index and
// household index entries) on a goroutine of its own, fed in batches:
// hashing and sealing cost about as much as decoding the bundle, which
// runs meanwhile on the caller's goroutine (and the digest on a third).
// One goroutine owns a fullRows: it calls add for each record and then
// finish, or stop on an error path; stop is safe to repeat.
type fullRows struct {
	s                   *Store
	n                   uint64
	records, households []row
	tokens              *tokenLists
	names               []row // the token lists, sealed by finish
	batch               []bundle.Entry
	work                chan []bundle.Entry
	done                chan struct{}
	stopped             bool
}

const prepareBatch = 256

func (s *Store) newFullRows(count uint64) *fullRows {
	p := &fullRows{s: s, records: make([]row, 0, count), tokens: newTokenLists(),
		households: make([]row, 0, count), work: make(chan []bundle.Entry, 4), done: make(chan struct{})}
	go p.run()
	return p
}

// add queues one record; it suits bundle.OpenEach.
func (p *fullRows) add(e bundle.Entry) error {
	p.batch = append(p.batch, e)
	if len(p.batch) == prepareBatch {
		p.work <- p.batch
		p.batch = make([]bundle.Entry, 0, prepareBatch)
	}
	return nil
}

func (p *fullRows) run() {
	defer close(p.done)
	empty := []byte{}
	for batch := range p.work {
		for _, e := range batch {
			k := p.s.keys.hash("id", e.ID)
			p.records = append(p.records, row{k, p.s.keys.seal(bSubset, k, e.Raw)})
			p.tokens.add(e.Citizen, k)
			if hh := p.s.householdKey(e.Citizen, k); hh != nil {
				p.households = append(p.households, row{hh, empty})
			}
			p.n++
		}
	}
}

// finish waits for every record queued and sorts each kind of row by
// key, the records beside the indexes.
func (p *fullRows) finish() {
	if len(p.batch) > 0 && !p.stopped {
		p.work <- p.batch
		p.batch = nil
	}
	p.stop()
	byKey := func(rows []row) {
		slices.SortFunc(rows, func(a, b row) int { return bytes.Compare(a.k, b.k) })
	}
	sorted := make(chan struct{})
	go func() { byKey(p.records); byKey(p.households); close(sorted) }()
	p.names = p.tokens.rows(p.s)
	<-sorted
}

// stop ends the worker and waits for it.
func (p *fullRows) stop() {
	if !p.stopped {
		p.stopped = true
		close(p.work)
	}
	<-p.done
}

// checkNewer refuses a full bundle that would take the subset back.
func checkNewer(held SubsetInfo, b *bundle.Bundle) error {
	switch {
	case b.To < held.Version:
		return fmt.Errorf("%w: bundle version %d, held %d", ErrRollback, b.To, held.Version)
	case b.To == held.Version && !b.Created.After(held.Created):
		return fmt.Errorf("%w: version %d signed %v, held since %v", ErrNotNewer, b.To, b.Created, held.Created)
	}
	return nil
}

// ApplyDelta applies an opened delta, and installs its officer list (when
// it has one) as the city's accounts, in one transaction. It applies only
// to the subset it starts from: the same commune at version From (else
// ErrNeedFull, or ErrRollback / ErrNotNewer when the delta leads to a
// version not newer than the one held). The digest state kept with the
// subset is updated entry by entry, so the cost is that of the delta, and
// the result must equal the signed digest (else bundle.ErrDigestMismatch,
// and nothing changes). A refresh (From == To, no entries) only renews the
// creation and expiry times, and only with a later signature.
func (s *Store) ApplyDelta(b *bundle.Bundle) (SubsetInfo, error) {
	if b.Kind != bundle.KindDelta {
		return SubsetInfo{}, fmt.Errorf("edge: ApplyDelta given a bundle of kind %d", b.Kind)
	}
	var info SubsetInfo
	err := s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		held, err := deltaBase(m, b)
		if err != nil {
			return err
		}
		w := &subsetWriter{s: s, tx: tx, count: held.Count, tokens: tokenEdits{}}
		if err := w.state.UnmarshalBinary(m.Get(kState)); err != nil {
			return fmt.Errorf("%w: no digest state kept with the subset (%v)", ErrNeedFull, err)
		}
		n := 0
		err = b.Entries(func(e bundle.Entry) error {
			if err := w.apply(e); err != nil {
				return err
			}
			n++
			if failPoint != nil {
				return failPoint(n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := w.tokens.apply(s, tx); err != nil {
			return err
		}
		if sum := w.state.Sum(); sum != b.Digest {
			return fmt.Errorf("%w: delta %d→%d gives %x, signed %x", bundle.ErrDigestMismatch, b.From, b.To, sum, b.Digest)
		}
		if b.Officers != nil {
			if err := s.installOfficers(tx, b.Officers); err != nil {
				return err
			}
		}
		info = infoOf(b, w.count)
		return putInfo(m, info, &w.state)
	})
	if err != nil {
		return SubsetInfo{}, err
	}
	return info, nil
}

// deltaBase returns the subset held if the delta applies to it.
func deltaBase(m *bolt.Bucket, b *bundle.Bundle) (SubsetInfo, error) {
	held, ok := readInfo(m)
	switch {
	case !ok:
		return held, fmt.Errorf("%w: no subset held", ErrNeedFull)
	case held.Commune != b.Commune:
		return held, fmt.Errorf("%w: delta for commune %s, subset held of %q", ErrNeedFull, b.Commune, held.Commune)
	case b.To < held.Version:
		return held, fmt.Errorf("%w: delta to version %d, held %d", ErrRollback, b.To, held.Version)
	case b.From == b.To && b.To == held.Version && !b.Created.After(held.Created):
		return held, fmt.Errorf("%w: refresh of version %d signed %v, held since %v", ErrNotNewer, b.To, b.Created, held.Created)
	case b.From != b.To && b.To == held.Version:
		return held, fmt.Errorf("%w: delta to version %d, already held", ErrNotNewer, b.To)
	case b.From != held.Version:
		return held, fmt.Errorf("%w: delta from version %d, held %d", ErrNeedFull, b.From, held.Version)
	}
	return held, nil
}

// subsetWriter applies a delta's entries, keeping the indexes, the digest
// state and the record count in step.
type subsetWriter struct {
	s      *Store
	tx     *bolt.Tx
	state  digest.Hash
	count  uint64
	tokens tokenEdits // applied once, after the last entry
}

func (w *subsetWriter) apply(e bundle.Entry) error {
	sub := w.tx.Bucket(bSubset)
	k := w.s.keys.hash("id", e.ID)
	var old, now [][]byte // household index entries before and after
	var was *registry.Citizen
	if v := sub.Get(k); v != nil {
		c, raw, err := w.s.record(k, v)
		if err != nil {
			return err
		}
		w.state.Remove([]byte(e.ID), raw)
		w.count--
		was = c
		if hh := w.s.householdKey(c, k); hh != nil {
			old = append(old, hh)
		}
		if e.Citizen == nil {
			if err := sub.Delete(k); err != nil {
				return err
			}
		}
	}
	if e.Citizen != nil {
		w.state.Add([]byte(e.ID), e.Raw)
		w.count++
		if err := sub.Put(k, w.s.keys.seal(bSubset, k, e.Raw)); err != nil {
			return err
		}
		if hh := w.s.householdKey(e.Citizen, k); hh != nil {
			now = append(now, hh)
		}
	}
	// Most changes leave names, date of birth and household alone: only
	// the entries that differ are written, which keeps the pages a delta
	// dirties, and so its commit, small.
	w.tokens.change(was, e.Citizen, k)
	hh := w.tx.Bucket(bHouseholds)
	for _, key := range old {
		if !slices.ContainsFunc(now, func(n []byte) bool { return bytes.Equal(n, key) }) {
			if err := hh.Delete(key); err != nil {
				return err
			}
		}
	}
	for _, key := range now {
		if !slices.ContainsFunc(old, func(o []byte) bool { return bytes.Equal(o, key) }) {
			if err := hh.Put(key, []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// record decrypts and decodes the subset record stored under k, and
// returns its canonical encoding too.
func (s *Store) record(k, v []byte) (*registry.Citizen, []byte, error) {
	raw, err := s.keys.open(bSubset, k, v)
	if err != nil {
		return nil, nil, err
	}
	c, _, err := registry.DecodeCitizen(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: subset record %x: %w", ErrCorrupt, k, err)
	}
	return c, raw, nil
}

// Citizen looks up one record of the subset by personal ID.
func (s *Store) Citizen(id string) (*registry.Citizen, error) {
	k := s.keys.hash("id", id)
	var c *registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSubset).Get(k)
		if v == nil {
			return ErrNotFound
		}
		var err error
		c, _, err = s.record(k, v)
		if err == nil && c.Merged() {
			// A retired duplicate is nobody's resident: the city takes it
			// out of the subset, and a copy of it is not served either.
			c = nil
			return ErrNotFound
		}
		return err
	})
	return c, err
}

// Sample returns up to n records of the subset that keep returns true for,
// spread over the subset (every k-th record, in the order of their keyed
// hashes, which is no order of theirs).
func (s *Store) Sample(n int, keep func(*registry.Citizen) bool) ([]*registry.Citizen, error) {
	var out []*registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubset)
		step := max(1, b.Stats().KeyN/(n+1))
		i, want := 0, false
		return b.ForEach(func(k, v []byte) error {
			i++
			if len(out) >= n {
				return nil
			}
			// At each step a record is wanted; one that keep refuses
			// passes the want on to the records after it.
			want = want || i%step == 0
			if !want {
				return nil
			}
			c, _, err := s.record(k, v)
			if err != nil {
				return err
			}
			if keep(c) {
				out, want = append(out, c), false
			}
			return nil
		})
	})
	return out, err
}
