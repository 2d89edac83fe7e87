package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Rekey rewrites the closed store at path into a fresh file under
// newMaster, then renames it over the old one. Every sealed value is
// opened under oldMaster and sealed again; every keyed-hash index key is
// computed again under the new index key (the indexes are rebuilt from
// the records, changes and outcomes); the officer UI's sessions and any
// partial download are dropped. Free pages are not copied, so what a purge
// or a reassignment removed is not in the new file, and the old file's
// blocks, wherever the disk still keeps them, hold only ciphertext under
// oldMaster, which the caller then forgets (crypto-erase).
//
// A crash before the rename leaves the old file and its key in force; the
// caller records newMaster only after Rekey returns.
func Rekey(path string, oldMaster, newMaster []byte) error {
	oldKeys, err := deriveKeys(oldMaster)
	if err != nil {
		return err
	}
	newKeys, err := deriveKeys(newMaster)
	if err != nil {
		return err
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("edge: rekey: open %s (is the node still running?): %w", path, err)
	}
	defer src.Close()
	tmp := path + ".rekey"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType,
		InitialMmapSize: initialMmap})
	if err != nil {
		return err
	}
	r := &rekeyer{from: &Store{keys: oldKeys}, to: &Store{keys: newKeys}}
	err = src.View(func(stx *bolt.Tx) error {
		if c := stx.Bucket(bMeta).Get(kKeyCheck); !oldKeys.matches(c) {
			return fmt.Errorf("%w: rekey: the old key is not the key of %s", ErrKey, path)
		}
		return dst.Update(func(dtx *bolt.Tx) error { return r.copy(stx, dtx) })
	})
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	src.Close()
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("edge: rekey %s: %w", path, err)
	}
	os.Remove(path + ".partial")
	return syncDir(filepath.Dir(path))
}

// rekeyer copies a store from one key to another.
type rekeyer struct{ from, to *Store }

// rekeyed lists the buckets copy handles; a bucket it does not know makes
// it fail rather than drop data silently.
var rekeyed = map[string]bool{
	string(bMeta): true, string(bSubset): true, string(bTokens): true, string(bHouseholds): true,
	string(bChanges): true, string(bOutbox): true, string(bOutcomes): true, string(bHistory): true,
	string(bAudit): true, string(bAccounts): true, string(bSessions): true,
	string(bReview): true, string(bDecisions): true, string(bNotices): true, string(bProofs): true,
	string(bReviewList): true,
}

func (r *rekeyer) copy(stx, dtx *bolt.Tx) error {
	err := stx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if !rekeyed[string(name)] {
			return fmt.Errorf("rekey: unknown bucket %q", name)
		}
		nb, err := dtx.CreateBucket(name)
		if err != nil {
			return err
		}
		return nb.SetSequence(b.Sequence())
	})
	if err != nil {
		return err
	}
	for _, step := range []func(stx, dtx *bolt.Tx) error{r.meta, r.subset, r.changes, r.resealAll(bAudit), r.accounts,
		r.decisions, r.resealAll(bNotices), r.proofs, r.resealAll(bReviewList)} {
		if err := step(stx, dtx); err != nil {
			return err
		}
	}
	for _, plain := range [][]byte{bOutbox, bReview} {
		if err := stx.Bucket(plain).ForEach(func(k, v []byte) error { return dtx.Bucket(plain).Put(k, v) }); err != nil {
			return err
		}
	}
	return nil
}

// decisions re-seals the decisions after review and files a birth's
// final ID in the history index.
func (r *rekeyer) decisions(stx, dtx *bolt.Tx) error {
	return stx.Bucket(bDecisions).ForEach(func(k, v []byte) error {
		o, err := r.from.decision(stx, k)
		if err != nil {
			return err
		}
		if err := dtx.Bucket(bDecisions).Put(k, r.to.keys.seal(bDecisions, k, registry.AppendOutcome(nil, o))); err != nil {
			return err
		}
		if o.Citizen == "" {
			return nil
		}
		return dtx.Bucket(bHistory).Put(r.to.historyKey(o.Citizen, k), []byte{})
	})
}

func (r *rekeyer) meta(stx, dtx *bolt.Tx) error {
	m := dtx.Bucket(bMeta)
	err := stx.Bucket(bMeta).ForEach(func(k, v []byte) error { return m.Put(k, v) })
	if err != nil {
		return err
	}
	return m.Put(kKeyCheck, r.to.keys.checkValue())
}

// subset re-keys the records and rebuilds the name and household indexes.
func (r *rekeyer) subset(stx, dtx *bolt.Tx) error {
	sub := dtx.Bucket(bSubset)
	tl := newTokenLists()
	err := stx.Bucket(bSubset).ForEach(func(k, v []byte) error {
		c, raw, err := r.from.record(k, v)
		if err != nil {
			return err
		}
		nk := r.to.keys.hash("id", c.ID)
		if err := sub.Put(nk, r.to.keys.seal(bSubset, nk, raw)); err != nil {
			return err
		}
		tl.add(c, nk)
		if hh := r.to.householdKey(c, nk); hh != nil {
			return dtx.Bucket(bHouseholds).Put(hh, []byte{})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, row := range tl.rows(r.to) {
		if err := dtx.Bucket(bTokens).Put(row.k, row.v); err != nil {
			return err
		}
	}
	return nil
}

// changes re-seals changes and outcomes and rebuilds the history index
// from both (a birth's outcome names the ID the city assigned).
func (r *rekeyer) changes(stx, dtx *bolt.Tx) error {
	hist := dtx.Bucket(bHistory)
	err := stx.Bucket(bChanges).ForEach(func(k, v []byte) error {
		c, err := r.from.change(stx, k)
		if err != nil {
			return err
		}
		if err := dtx.Bucket(bChanges).Put(k, r.to.keys.seal(bChanges, k, registry.AppendChange(nil, c))); err != nil {
			return err
		}
		return hist.Put(r.to.historyKey(c.Citizen, k), []byte{})
	})
	if err != nil {
		return err
	}
	return stx.Bucket(bOutcomes).ForEach(func(k, v []byte) error {
		plain, err := r.from.keys.open(bOutcomes, k, v)
		if err != nil {
			return err
		}
		o, _, err := registry.DecodeOutcome(plain)
		if err != nil {
			return fmt.Errorf("%w: outcome %d: %w", ErrCorrupt, bytesU64(k), err)
		}
		if err := dtx.Bucket(bOutcomes).Put(k, r.to.keys.seal(bOutcomes, k, plain)); err != nil {
			return err
		}
		if o.Citizen == "" {
			return nil
		}
		return hist.Put(r.to.historyKey(o.Citizen, k), []byte{})
	})
}

// resealAll re-seals every value of a bucket under the same key.
func (r *rekeyer) resealAll(bucket []byte) func(stx, dtx *bolt.Tx) error {
	return func(stx, dtx *bolt.Tx) error {
		nb := dtx.Bucket(bucket)
		return stx.Bucket(bucket).ForEach(func(k, v []byte) error {
			plain, err := r.from.keys.open(bucket, k, v)
			if err != nil {
				return err
			}
			return nb.Put(k, r.to.keys.seal(bucket, k, plain))
		})
	}
}

// accounts re-keys the officer accounts (their key is the hash of the
// user name). Sessions are not copied: their account stamps are keyed
// hashes under the old key, so they would end at the first request.
func (r *rekeyer) accounts(stx, dtx *bolt.Tx) error {
	return stx.Bucket(bAccounts).ForEach(func(k, v []byte) error {
		o, err := r.from.openAccount(k, v)
		if err != nil {
			return err
		}
		plain, err := json.Marshal(o)
		if err != nil {
			return err
		}
		nk := r.to.accountKey(o.User)
		if bytes.Equal(nk, k) {
			return fmt.Errorf("rekey: the new key gives the same account key")
		}
		return dtx.Bucket(bAccounts).Put(nk, r.to.keys.seal(bAccounts, nk, plain))
	})
}

// proofs re-keys the queued proofs of presence (their key is the hash of
// the citizen's ID). A store of an older version has none.
func (r *rekeyer) proofs(stx, dtx *bolt.Tx) error {
	b := stx.Bucket(bProofs)
	if b == nil {
		return nil
	}
	if _, err := dtx.CreateBucketIfNotExists(bProofs); err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		p, err := r.from.openProof(k, v)
		if err != nil {
			return err
		}
		return r.to.putProof(dtx, p)
	})
}
