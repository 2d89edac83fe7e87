package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// Buckets of the FSM's bbolt file. Primary buckets are covered by the state
// digest; index buckets are derived from them and are not.
var (
	bMeta      = []byte("meta")
	bCitizens  = []byte("citizens")   // ID → registry.AppendCitizen(stamps)
	bOutcomes  = []byte("outcomes")   // change ID → registry.AppendOutcome
	bHistory   = []byte("history")    // seq (8 bytes) → change + outcome
	bNodes     = []byte("nodes")      // node ID → communes, comma separated
	bPool      = []byte("pool")       // province+gender+yy → next serial
	bPeers     = []byte("peers")      // city node ID → API URL
	bByCommune = []byte("by_commune") // commune 0 ID → (index)
	bByCitizen = []byte("by_citizen") // ID 0 seq → (index; written by older versions, and for the kept record of a merge)
	// A citizen's history is a chain: bLastHist names its newest entry and
	// bHistPrev links each entry to the one before about the same citizen.
	// Unlike an (ID, seq) index, whose random inserts grow with the history
	// and make every commit write more pages as the state ages, the chain
	// adds one append and one update bounded by the number of citizens.
	bLastHist = []byte("last_history") // ID → seq(8) of the newest entry (index)
	bHistPrev = []byte("history_prev") // seq(8) → seq(8) of the entry before, same citizen (index)
	bBirths   = []byte("births")       // birth key → ID (index, duplicate births)
	bReview   = []byte("review")       // seq → (index: the conflict queue)
	// bSubsetLog records, per commune, which records changed at which raft
	// index: commune 0 index(8) ID → 'u' (upsert) or 'r' (moved away). It
	// is what delta bundles are built from.
	bSubsetLog = []byte("subset_log")
	// bSubsetVer holds each commune's subset version: the last raft index
	// that changed one of its records (commune → index(8)).
	bSubsetVer = []byte("subset_version")
	// Fleet state (fleet.go).
	bFleet  = []byte("fleet")  // node ID → NodeRecord (JSON)
	bTokens = []byte("tokens") // enrollment token hash → tokenRecord (JSON)
	bSeries = []byte("series") // node 0 unix ms(8) → Sample (JSON)
	// Edge audit logs (audit.go).
	bAudit    = []byte("audit")     // node 0 epoch(4) seq(8) → wire.AuditEntry (JSON)
	bAuditTip = []byte("audit_tip") // node → AuditTip (JSON)
	// Officer accounts (officers.go).
	bOfficers = []byte("officers") // commune 0 user → Officer (JSON)
	// Proof of presence (presence.go) and revoked city certificates (crl.go).
	bChallenges = []byte("challenges") // challenge (8 bytes, hex) → challengeRecord (JSON)
	bPresence   = []byte("presence")   // node 0 citizen → Presence (JSON)
	bCRL        = []byte("crl")        // "fleet" → DER of the newest revocation list
	// The CSCA trust set (trust.go).
	bTrust    = []byte("trust")     // fingerprint (hex) → TrustEntry (JSON)
	bTrustCRL = []byte("trust_crl") // CRL issuer → fingerprint of the one held (index)

	primary = [][]byte{bCitizens, bOutcomes, bHistory, bNodes, bPool, bPeers, bFleet, bTokens, bSeries, bAudit, bAuditTip, bOfficers, bChallenges, bPresence, bCRL,
		bTrust, bNodeKeys, bFindings, bMerged, bCluster}
	indexes = [][]byte{bByCommune, bByCitizen, bBirths, bReview, bSubsetLog, bSubsetVer, bLastHist, bHistPrev, bTrustCRL,
		bFindingKeys, bFindingsComm, bFindingsCit, bQBlocks, bQHouseholds, bQChildren, bQSpouses, bQConfirmed, bQFigures, bQWeekly}
	// chained buckets are covered by the history chain (chain.go) rather
	// than element by element.
	chained = [][]byte{bHistBlocks, bRuns}

	kApplied  = []byte("applied")
	kDigest   = []byte("digest")
	kCitizens = []byte("citizens")
	kSeq      = []byte("history_seq")
	// kCommands counts the command entries applied, refused ones
	// included: unlike the applied index, it does not move when raft
	// appends its own entries (a new leader's no-op, a configuration).
	kCommands = []byte("commands")
)

// txn wraps a bbolt write transaction and keeps the state digest in step
// with every write to a primary bucket.
type txn struct {
	tx     *bolt.Tx
	h      *digest.Hash
	events []Event     // what observers hear once the batch is applied
	q      *qualityTxn // what the data-quality re-check gathers (quality.go)
	// officers are accounts already decoded, by their stored bytes: the
	// same bytes always decode the same, so the cache needs no
	// invalidation and decides nothing (FSM.officers).
	officers map[string]Officer
	// findings are findings already decoded, by ID with the bytes they
	// were decoded from (FSM.findings; txn.finding).
	findings map[uint64]cachedFinding
	// cits are the records the batch read or wrote (txn.citizen).
	cits map[string]*cachedCitizen
	// records are records decoded by earlier batches (FSM.records).
	records map[string]*cachedCitizen
	// decided is FSM.decided.
	decided map[string]uint64
	// subsets are the communes' subset versions the batch advanced.
	subsets map[string]uint64
	// seq is the last history sequence number once read (seqRead),
	// stored at the end of the batch (flushBatch).
	seq     uint64
	seqRead bool
	// lastHist is each citizen's newest history entry written since the
	// last commit (FSM.lastHist).
	lastHist map[string][]byte
	// newest is FSM.newest.
	newest map[string][]byte
	// cursors are the batch's cursors for get, by bucket.
	cursors map[string]*bolt.Cursor
	// hot holds what the batch read of the node assignments (hot[0]) and
	// the officer accounts (hot[1]), which every change reads: key →
	// value (nil: none). put, their only writer, drops it (hotGet).
	hot [2]map[string][]byte
	// chain is the history chain from feature level 2 (chain.go), once
	// read (chainRead).
	chain     *histChain
	chainRead bool
	// block is the history block the log entry being applied builds, from
	// feature level 3 (historyblocks.go).
	block histBlock
	// runs are the runs of the log entry being applied, by node (runs.go).
	runs map[string]*run
	// lvl is the cluster's feature level, once read (lvlRead; level).
	lvl     uint64
	lvlRead bool
}

// cachedCitizen is a record as the store holds it, raw and decoded. It is
// never changed once made: loadCitizen hands out copies.
type cachedCitizen struct {
	raw []byte
	c   registry.Citizen
}

func digestKey(bucket, key []byte) []byte {
	k := make([]byte, 0, len(bucket)+1+len(key))
	k = append(append(append(k, bucket...), 0), key...)
	return k
}

// get reads a key as Bucket.Get does, through one cursor per bucket kept
// for the batch: a Get makes a cursor and grows its stack on every call,
// which was a twentieth of a replica's apply. Seek searches from the root
// every time, so the cursor stays right across the batch's writes.
func (t *txn) get(bucket, key []byte) []byte {
	k, v := t.cursor(bucket).Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// cursor is the batch's cursor on a bucket, for get and has.
func (t *txn) cursor(bucket []byte) *bolt.Cursor {
	c := t.cursors[string(bucket)]
	if c == nil {
		c = t.tx.Bucket(bucket).Cursor()
		if t.cursors == nil {
			t.cursors = map[string]*bolt.Cursor{}
		}
		t.cursors[string(bucket)] = c
	}
	return c
}

// hotGet is get for the node assignments and the officer accounts,
// remembered for the batch.
func (t *txn) hotGet(bucket, key []byte) []byte {
	i := 0
	if string(bucket) == string(bOfficers) {
		i = 1
	}
	if v, ok := t.hot[i][string(key)]; ok {
		return v
	}
	v := t.get(bucket, key)
	if t.hot[i] == nil {
		t.hot[i] = map[string][]byte{}
	}
	t.hot[i][string(key)] = v
	return v
}

// has reports whether the bucket holds the key, whatever its value.
func (t *txn) has(bucket, key []byte) bool {
	k, _ := t.cursor(bucket).Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// put stores key → val; for primary buckets it replaces the old pair in
// the digest.
func (t *txn) put(bucket, key, val []byte, hashed bool) {
	if string(bucket) == string(bNodes) || string(bucket) == string(bOfficers) {
		clear(t.hot[0])
		clear(t.hot[1])
	}
	b := t.tx.Bucket(bucket)
	if hashed {
		dk := digestKey(bucket, key)
		if old := b.Get(key); old != nil {
			t.h.Remove(dk, old)
		}
		t.h.Add(dk, val)
	}
	if err := b.Put(key, val); err != nil {
		panic(fmt.Sprintf("fsm: bbolt put %s: %v", bucket, err))
	}
}

// insert stores a key of a primary bucket the caller knows is new, and
// adds the pair to the digest: put without looking for an old value.
func (t *txn) insert(bucket, key, val []byte) {
	t.h.Add(digestKey(bucket, key), val)
	if err := t.tx.Bucket(bucket).Put(key, val); err != nil {
		panic(fmt.Sprintf("fsm: bbolt put %s: %v", bucket, err))
	}
}

// replace stores key → val in a primary bucket whose current value the
// caller holds (old, nil when there is none), replacing it in the digest.
func (t *txn) replace(bucket, key, old, val []byte) {
	dk := digestKey(bucket, key)
	if old != nil {
		t.h.Remove(dk, old)
	}
	t.h.Add(dk, val)
	if err := t.tx.Bucket(bucket).Put(key, val); err != nil {
		panic(fmt.Sprintf("fsm: bbolt put %s: %v", bucket, err))
	}
}

// write stores a key of a bucket the digest does not cover key by key.
func (t *txn) write(bucket, key, val []byte) {
	if err := t.tx.Bucket(bucket).Put(key, val); err != nil {
		panic(fmt.Sprintf("fsm: bbolt put %s: %v", bucket, err))
	}
}

// del removes a key of a primary bucket, and its pair from the digest.
func (t *txn) del(bucket, key []byte) {
	b := t.tx.Bucket(bucket)
	if old := b.Get(key); old != nil {
		t.h.Remove(digestKey(bucket, key), old)
	}
	if err := b.Delete(key); err != nil {
		panic(fmt.Sprintf("fsm: bbolt delete %s: %v", bucket, err))
	}
}

func (t *txn) index(bucket []byte, parts ...[]byte) {
	var k []byte
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	if err := t.tx.Bucket(bucket).Put(k, nil); err != nil {
		panic(fmt.Sprintf("fsm: bbolt index %s: %v", bucket, err))
	}
}

func (t *txn) unindex(bucket []byte, parts ...[]byte) {
	var k []byte
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	if err := t.tx.Bucket(bucket).Delete(k); err != nil {
		panic(fmt.Sprintf("fsm: bbolt unindex %s: %v", bucket, err))
	}
}

func (t *txn) counter(key []byte) uint64 {
	v := t.get(bMeta, key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (t *txn) setCounter(key []byte, n uint64) {
	if err := t.tx.Bucket(bMeta).Put(key, u64(n)); err != nil {
		panic(fmt.Sprintf("fsm: bbolt meta: %v", err))
	}
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func createBuckets(tx *bolt.Tx) error {
	for _, set := range [][][]byte{{bMeta}, primary, indexes, chained} {
		for _, name := range set {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// logSubset notes that a commune's record changed at index, and advances
// the commune's subset version.
func (t *txn) logSubset(commune, id string, index uint64, op byte) {
	k := make([]byte, 0, len(commune)+9+len(id))
	k = append(append(k, commune...), 0)
	k = binary.BigEndian.AppendUint64(k, index)
	k = append(k, id...)
	if err := t.tx.Bucket(bSubsetLog).Put(k, []byte{op}); err != nil {
		panic(fmt.Sprintf("fsm: bbolt subset log: %v", err))
	}
	t.advanceSubset(commune, index)
}

// advanceSubset makes index the commune's subset version and tells the
// observers, so that its edges pull. A version may advance without any
// record changing (an officer account changed): the delta to it is empty.
// The versions are written once per batch (flushBatch): the last one
// set for a commune is the one stored, as if each had been written.
func (t *txn) advanceSubset(commune string, index uint64) {
	if t.subsets == nil {
		t.subsets = map[string]uint64{}
	}
	t.subsets[commune] = index
}

// lastSeq is the sequence number of the last history entry.
func (t *txn) lastSeq() uint64 {
	if !t.seqRead {
		t.seq, t.seqRead = t.counter(kSeq), true
	}
	return t.seq
}

// nextSeq numbers a new history entry.
func (t *txn) nextSeq() uint64 {
	t.seq = t.lastSeq() + 1
	return t.seq
}

// flushBatch stores the subset versions the batch advanced, in commune
// order, and tells the observers once per commune; and the history's last
// sequence number. Each citizen's newest history entry is stored once per
// commit (FSM.storeNewest).
func (t *txn) flushBatch() {
	b := t.tx.Bucket(bSubsetVer)
	for _, c := range slices.Sorted(maps.Keys(t.subsets)) {
		if err := b.Put([]byte(c), u64(t.subsets[c])); err != nil {
			panic(fmt.Sprintf("fsm: bbolt subset version: %v", err))
		}
		t.events = append(t.events, Event{Kind: EventSubset, Commune: c, Version: t.subsets[c]})
	}
	clear(t.subsets)
	t.flushChain()
	if t.seqRead {
		t.setCounter(kSeq, t.seq)
	}
}

// maxNewest bounds FSM.newest (a few megabytes).
const maxNewest = 65536

// linkHistory makes history entry seq its citizen's newest and returns the
// entry before it (nil: none), which the caller links it to. The newest
// entry of each citizen is kept in the batch and stored once at its end
// (flushBatch).
func (t *txn) linkHistory(citizen string, seq []byte) []byte {
	prev, ok := t.lastHist[citizen]
	if !ok {
		prev, ok = t.newest[citizen]
	}
	if !ok {
		prev = t.get(bLastHist, []byte(citizen))
	}
	if t.lastHist == nil {
		t.lastHist = map[string][]byte{}
	}
	t.lastHist[citizen] = seq
	return prev
}
