package edge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the edge's bbolt file. Keys written h(…) are keyed hashes
// (see crypt.go); values marked sealed are AES-GCM ciphertexts.
var (
	bMeta   = []byte("meta")
	bSubset = []byte("subset")  // h(ID) → sealed registry.AppendCitizen(compact)
	bTokens = []byte("idx_tok") // h(name token) shard → sealed posting list (nameindex.go)
	// bNames was the whole-name index of store format 2; format 3 drops it
	// and builds bTokens from the records.
	bNames      = []byte("idx_name")
	bHouseholds = []byte("idx_hh")      // h(household) h(ID) → nothing
	bChanges    = []byte("changes")     // seq → sealed change: every change recorded here
	bOutbox     = []byte("outbox")      // seq → nothing, until the change's outcome is held
	bOutcomes   = []byte("outcomes")    // seq → sealed outcome from the city
	bHistory    = []byte("idx_history") // h(citizen ID) seq → nothing
	bAudit      = []byte("audit")       // seq → sealed audit entry (JSON)

	subsetBuckets = [][]byte{bSubset, bTokens, bHouseholds}

	kFormat        = []byte("format")
	kKeyCheck      = []byte("key_check")
	kNode          = []byte("node")
	kCommune       = []byte("commune") // the commune this node serves
	kSubsetCommune = []byte("subset_commune")
	kVersion       = []byte("subset_version")
	kDigest        = []byte("subset_digest")
	kState         = []byte("subset_state") // digest.Hash state, to check deltas
	kCreated       = []byte("bundle_created")
	kExpires       = []byte("bundle_expires")
	kCount         = []byte("subset_count")
	kSeq           = []byte("seq")
	kSynced        = []byte("last_synced")
	kAuditTip      = []byte("audit_tip")  // hash of the last audit entry
	kAuditSent     = []byte("audit_sent") // last audit seq the city holds
	kFindings      = []byte("findings")   // identifications where card and record disagreed

	subsetMeta = [][]byte{kSubsetCommune, kVersion, kDigest, kState, kCreated, kExpires, kCount}
)

// initialMmap is mapped from the start, room for a commune of 100,000
// residents while an import writes the new subset beside the old one:
// when bbolt must grow its map during a transaction, it first copies every
// node the transaction touched to the heap, which for a full import costs
// more than the import.
const initialMmap = 256 << 20

// storeFormat is the layout above. Format 1 (no format key) kept
// everything in plain text, format 2 had a whole-name index instead of the
// token index; OpenStore converts both.
const storeFormat = 3

// Errors of the edge. Import errors wrap them with the versions or
// communes involved.
var (
	ErrNotFound = errors.New("edge: not in the local subset")
	ErrNoSubset = errors.New("edge: no verified subset yet")
	// ErrNotNewer: the bundle brings nothing the subset held lacks.
	ErrNotNewer = errors.New("edge: bundle is not newer than the subset held")
	// ErrRollback: the bundle would take the subset back to an older
	// version.
	ErrRollback = errors.New("edge: bundle is older than the subset held (rollback refused)")
	// ErrWrongCommune: the bundle is for a commune this node does not
	// serve.
	ErrWrongCommune = errors.New("edge: bundle is for another commune")
	// ErrNeedFull: a delta does not start from the subset held; the edge
	// asks for a full bundle instead.
	ErrNeedFull = errors.New("edge: delta does not apply to the subset held; a full bundle is needed")
	// ErrCorrupt: the store's contents contradict themselves (see
	// VerifySubset).
	ErrCorrupt = errors.New("edge: store is inconsistent")
)

// Store is the edge's local state in one bbolt file: the verified subset
// and its indexes, the changes recorded here with the outbox of those not
// yet decided, the outcomes the city returned, and the audit log. Its
// methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	keys *keys
}

// OpenStore opens or creates the store at path, with the key file
// KeyFileName in the same folder (created, mode 0600, with a new store).
// A key file that does not match the store is an error naming the file.
// Edge nodes keep the key in key slots instead (OpenStoreKey); the key
// file remains for tests and for tools on folders not yet converted.
func OpenStore(path string) (*Store, error) {
	keyPath := filepath.Join(filepath.Dir(path), KeyFileName)
	return openStore(path, keyPath, func(hasKey bool) (*keys, error) { return loadKeys(keyPath, hasKey) })
}

// OpenStoreKey opens or creates the store at path under master, the
// 32-byte key the node's key slots hold. A key that does not match the
// store is an error wrapping ErrKey.
func OpenStoreKey(path string, master []byte) (*Store, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("%w: master key of %d bytes, want 32", ErrKey, len(master))
	}
	return openStore(path, "the key slots", func(bool) (*keys, error) { return deriveKeys(master) })
}

func openStore(path, keyName string, load func(hasKey bool) (*keys, error)) (*Store, error) {
	for range 2 {
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType,
			InitialMmapSize: initialMmap})
		if err != nil {
			return nil, fmt.Errorf("edge: open %s: %w", path, err)
		}
		s := &Store{db: db, path: path}
		converted, err := s.init(keyName, load)
		if err == nil && !converted {
			return s, nil
		}
		db.Close()
		if err == nil {
			// The pages a conversion freed still hold the plain text.
			err = compact(path)
		}
		if err != nil {
			return nil, fmt.Errorf("edge: store %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("edge: store %s: still not converted after compaction", path)
}

// init loads the key, creates the buckets, converts a format-1 store
// (reporting that it did) and checks that the key opens what is stored.
func (s *Store) init(keyPath string, load func(hasKey bool) (*keys, error)) (converted bool, err error) {
	var check []byte
	err = s.db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			check = bytes.Clone(m.Get(kKeyCheck))
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if s.keys, err = load(check != nil); err != nil {
		return false, err
	}
	if check != nil && !s.keys.matches(check) {
		return false, fmt.Errorf("%w: the key from %s is not the key of this store (key check failed); "+
			"restore the key file or key slots that were made with the store", ErrKey, keyPath)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bSubset, bTokens, bHouseholds, bChanges, bOutbox, bOutcomes, bHistory, bAudit, bProofs, bReviewList} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		switch format := getU64(m, kFormat); {
		case format < 2:
			var err error
			if converted, err = s.convert(tx); err != nil {
				return fmt.Errorf("converting the store to format %d: %w", storeFormat, err)
			}
		case format < storeFormat:
			if err := s.indexTokens(tx); err != nil {
				return fmt.Errorf("building the name index of format %d: %w", storeFormat, err)
			}
		}
		sealed, err := s.sealOfficers(tx)
		if err != nil {
			return fmt.Errorf("sealing the officer accounts: %w", err)
		}
		if err := s.initDecisions(tx); err != nil {
			return fmt.Errorf("listing the changes under review: %w", err)
		}
		converted = converted || sealed
		return m.Put(kKeyCheck, s.keys.checkValue())
	})
	if err != nil {
		return false, err
	}
	if err := s.probe(); err != nil {
		return false, fmt.Errorf("%w (key from %s)", err, keyPath)
	}
	return converted, nil
}

// probe opens the first value of every sealed bucket, so that a key file
// that matches the check value but not the data (a restored mix of files)
// fails at startup rather than at the first lookup.
func (s *Store) probe() error {
	return s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSubset, bChanges, bOutcomes, bAudit, bAccounts, bSessions, bDecisions, bNotices, bProofs, bReviewList} {
			if k, v := tx.Bucket(b).Cursor().First(); k != nil {
				if _, err := s.keys.open(b, k, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Copy calls fn, inside one read transaction, with the size of a
// consistent copy of the store file and a function that writes that copy;
// writers go on meanwhile. The copy is as sealed as the file.
func (s *Store) Copy(fn func(size int64, write func(io.Writer) error) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return fn(tx.Size(), func(w io.Writer) error { _, err := tx.WriteTo(w); return err })
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Identity returns the node ID and commune the store belongs to.
func (s *Store) Identity() (node, commune string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		node, commune = string(m.Get(kNode)), string(m.Get(kCommune))
		return nil
	})
	return node, commune, err
}

// SetIdentity records which node this store belongs to and its commune.
// A store that already belongs to another node refuses: its outbox holds
// that node's changes. A subset of another commune than the one given is
// purged in the same transaction: the node was reassigned, and must not
// identify anyone against its old commune's data.
func (s *Store) SetIdentity(node, commune string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if old := m.Get(kNode); old != nil && string(old) != node {
			return fmt.Errorf("edge: data folder belongs to node %s, not %s", old, node)
		}
		if held, ok := readInfo(m); ok && held.Commune != commune {
			if err := purge(tx); err != nil {
				return err
			}
			if err := dropReviewList(tx); err != nil {
				return err
			}
		}
		if err := m.Put(kNode, []byte(node)); err != nil {
			return err
		}
		return m.Put(kCommune, []byte(commune))
	})
}

// Purge removes the subset and its indexes, as when the node is
// decommissioned or reassigned, in one transaction; the changes, outbox,
// outcomes and audit log stay. The pages freed held only ciphertext.
func (s *Store) Purge() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := purge(tx); err != nil {
			return err
		}
		return dropReviewList(tx)
	})
}

func purge(tx *bolt.Tx) error {
	for _, b := range subsetBuckets {
		if err := tx.DeleteBucket(b); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	m := tx.Bucket(bMeta)
	for _, k := range subsetMeta {
		if err := m.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getU64(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
