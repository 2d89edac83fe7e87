package edge

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// convert turns a format-1 store, which kept everything in plain text,
// into the current format within tx: the subset is dropped (the next pull
// brings it back, encrypted and indexed), the recorded changes, outcomes
// and audit entries are sealed in place, the outbox keeps only sequence
// numbers, and the history index is built. A new store has nothing to
// convert and is only marked; converted reports whether there was data.
func (s *Store) convert(tx *bolt.Tx) (converted bool, err error) {
	for _, b := range [][]byte{bSubset, bChanges, bOutcomes, bAudit} {
		converted = converted || tx.Bucket(b).Stats().KeyN > 0
	}
	return converted, s.convertBuckets(tx)
}

func (s *Store) convertBuckets(tx *bolt.Tx) error {
	if err := purge(tx); err != nil {
		return err
	}
	if err := dropNames(tx); err != nil {
		return err
	}
	changes, err := s.sealAll(tx, bChanges)
	if err != nil {
		return err
	}
	hist := tx.Bucket(bHistory)
	for k, v := range changes {
		c, _, err := registry.DecodeChange(v)
		if err != nil {
			return fmt.Errorf("change %x: %w", k, err)
		}
		if err := hist.Put(s.historyKey(c.Citizen, []byte(k)), []byte{}); err != nil {
			return err
		}
	}
	outcomes, err := s.sealAll(tx, bOutcomes)
	if err != nil {
		return err
	}
	for k, v := range outcomes {
		o, _, err := registry.DecodeOutcome(v)
		if err != nil {
			return fmt.Errorf("outcome %x: %w", k, err)
		}
		if o.Citizen != "" {
			if err := hist.Put(s.historyKey(o.Citizen, []byte(k)), []byte{}); err != nil {
				return err
			}
		}
	}
	if _, err := s.sealAll(tx, bAudit); err != nil {
		return err
	}
	outbox := tx.Bucket(bOutbox)
	var pending [][]byte
	outbox.ForEach(func(k, _ []byte) error { pending = append(pending, bytes.Clone(k)); return nil })
	for _, k := range pending {
		if err := outbox.Put(k, []byte{}); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(kFormat, u64(storeFormat))
}

// compact rewrites the store file without its free pages.
func compact(path string) error {
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	err = bolt.Compact(dst, src, 16<<20)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// sealAll seals every value of bucket in place and returns the plain
// values by key.
func (s *Store) sealAll(tx *bolt.Tx, bucket []byte) (map[string][]byte, error) {
	b := tx.Bucket(bucket)
	plain := map[string][]byte{}
	err := b.ForEach(func(k, v []byte) error {
		plain[string(k)] = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, v := range plain {
		if err := b.Put([]byte(k), s.keys.seal(bucket, []byte(k), v)); err != nil {
			return nil, err
		}
	}
	return plain, nil
}
