package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The CSCA trust set (DESIGN.md, "Trust model"): the country signing CA
// certificates and their CRLs that chips are checked against, by the city
// (proofs of presence) and by every edge (passive authentication at the
// desk). City IT loads them once, at the city: a master list signed under
// one of the city's configured master-list signers, or a CRL signed by a
// CSCA already trusted. The city node that receives them checks those
// signatures before it proposes KindTrust, and writes down what it parsed;
// the FSM, which imports nothing of the chip reader, keeps the items as
// given, keeps only the newest CRL per issuer, and numbers the set with
// the index of its last change (the trust version), which edges compare
// with the version of the signed trust list they hold.

// The kinds of trust item.
const (
	TrustCSCA = "csca" // a CSCA or link certificate, from a master list
	TrustCRL  = "crl"  // a CSCA's certificate revocation list
)

// Errors of KindTrust: the FSM's refusals, which write nothing.
var (
	// ErrTrustUnknown answers a removal of a fingerprint the set does not
	// hold.
	ErrTrustUnknown = errors.New("fsm: no such item in the CSCA trust set (see `xanode fleet csca list`)")
	// ErrTrustCRLNotNewer answers a CRL issued no later than the one held
	// for its issuer: an older list would bring revoked Document Signers
	// back.
	ErrTrustCRLNotNewer = errors.New("fsm: the CRL is not newer than the one the city holds for its issuer")
)

// Bounds of a KindTrust command. A master list of every ICAO member holds
// a few hundred certificates of 1 to 2 KiB; a command must fit a forwarded
// request (wire.MaxBodyBytes) with its JSON and base64.
const (
	MaxTrustItems     = 4096    // items added plus fingerprints removed
	MaxTrustItemBytes = 1 << 20 // DER of one certificate or CRL
	MaxTrustBytes     = 5 << 20 // DER of all the items of one command
	maxTrustName      = 1024    // bytes of a subject or issuer
	maxTrustSource    = 256     // bytes of a source note
)

// TrustItem is a certificate or CRL as the city node that checked it
// parsed it: DER with its SHA-256 (hex), the names, the validity of a
// certificate, the dates of a CRL, and where city IT got it.
type TrustItem struct {
	Kind        string    `json:"kind"`
	DER         []byte    `json:"der"`
	Fingerprint string    `json:"fingerprint"`
	Subject     string    `json:"subject,omitempty"` // a certificate's
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"not_after,omitzero"`   // a certificate's
	ThisUpdate  time.Time `json:"this_update,omitzero"` // a CRL's
	NextUpdate  time.Time `json:"next_update,omitzero"` // a CRL's; zero when it names none
	Source      string    `json:"source,omitempty"`
}

// TrustOp is the payload of KindTrust: items to add and fingerprints to
// remove, applied together or not at all.
type TrustOp struct {
	Add    []TrustItem `json:"add,omitempty"`
	Remove []string    `json:"remove,omitempty"`
}

// TrustEntry is an item of the trust set: who added it (the admin
// certificate of the stamp) and when (the leader's clock), at which index.
type TrustEntry struct {
	TrustItem
	By    string    `json:"by"`
	Added time.Time `json:"added"`
	Index uint64    `json:"index"`
}

// Stale reports whether a CRL is past its NextUpdate at now: revocations
// since then are unknown.
func (e *TrustEntry) Stale(now time.Time) bool {
	return e.Kind == TrustCRL && !e.NextUpdate.IsZero() && now.After(e.NextUpdate)
}

// TrustResult is the FSM's answer to KindTrust.
type TrustResult struct {
	Version   uint64 `json:"version"`   // the trust version after it
	Added     int    `json:"added"`     // items new to the set
	Replaced  int    `json:"replaced"`  // older CRLs of the same issuers dropped
	Removed   int    `json:"removed"`   // items removed as asked
	Unchanged int    `json:"unchanged"` // items the set held already
}

// TrustSet is the whole set at one version.
type TrustSet struct {
	Version uint64       `json:"version"` // the index of its last change; 0: never changed
	Entries []TrustEntry `json:"entries"` // in fingerprint order
}

// Fingerprint is how the trust set names an item: SHA-256 of its DER, in
// hex.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func (c *Command) checkTrust() error {
	if c.Trust == nil {
		return errors.New("trust command without a payload")
	}
	return c.Trust.Check()
}

// Check holds the rules of a KindTrust payload, which the FSM applies to
// every entry: a city node checks them before proposing, to answer a bad
// request as such.
func (op *TrustOp) Check() error {
	if len(op.Add)+len(op.Remove) == 0 {
		return errors.New("trust command without items to add or remove")
	}
	if len(op.Add)+len(op.Remove) > MaxTrustItems {
		return fmt.Errorf("trust command with %d items, at most %d", len(op.Add)+len(op.Remove), MaxTrustItems)
	}
	seen := make(map[string]bool, len(op.Add)+len(op.Remove))
	crlOf := map[string]bool{}
	total := 0
	for i := range op.Add {
		it := &op.Add[i]
		if err := it.check(); err != nil {
			return fmt.Errorf("trust item %d: %w", i+1, err)
		}
		if seen[it.Fingerprint] {
			return fmt.Errorf("trust item %s given twice", it.Fingerprint)
		}
		seen[it.Fingerprint] = true
		if it.Kind == TrustCRL {
			if crlOf[it.Issuer] {
				return fmt.Errorf("two CRLs of %q in one trust command", it.Issuer)
			}
			crlOf[it.Issuer] = true
		}
		total += len(it.DER)
	}
	if total > MaxTrustBytes {
		return fmt.Errorf("trust command with %d bytes of certificates and CRLs, at most %d", total, MaxTrustBytes)
	}
	for _, fp := range op.Remove {
		if !validFingerprint(fp) || seen[fp] {
			return fmt.Errorf("fingerprint %.80q to remove: not 64 lower-case hex digits, or named twice", fp)
		}
		seen[fp] = true
	}
	return nil
}

// check holds the rules on one item: what the FSM can know without
// parsing X.509, so that whatever the log holds can be listed and signed.
func (it *TrustItem) check() error {
	switch {
	case it.Kind != TrustCSCA && it.Kind != TrustCRL:
		return fmt.Errorf("kind %.20q, want %s or %s", it.Kind, TrustCSCA, TrustCRL)
	case len(it.DER) == 0 || len(it.DER) > MaxTrustItemBytes:
		return fmt.Errorf("DER of %d bytes (1 to %d)", len(it.DER), MaxTrustItemBytes)
	case it.Fingerprint != Fingerprint(it.DER):
		return fmt.Errorf("fingerprint %.80q is not the SHA-256 of the DER", it.Fingerprint)
	case !cleanName(it.Issuer, maxTrustName) || it.Issuer == "":
		return errors.New("issuer is not 1 to 1024 bytes of text")
	case !cleanName(it.Subject, maxTrustName) || !cleanName(it.Source, maxTrustSource):
		return errors.New("subject or source is not short text without control characters")
	case it.Kind == TrustCSCA && (it.Subject == "" || it.NotAfter.IsZero() || !it.ThisUpdate.IsZero() || !it.NextUpdate.IsZero()):
		return errors.New("a certificate needs its subject and expiry, and has no CRL dates")
	case it.Kind == TrustCRL && (it.Subject != "" || !it.NotAfter.IsZero() || it.ThisUpdate.IsZero()):
		return errors.New("a CRL needs its issue date, and has no subject or expiry")
	case it.Kind == TrustCRL && !it.NextUpdate.IsZero() && !it.NextUpdate.After(it.ThisUpdate):
		return fmt.Errorf("CRL next update %s is not after its this update %s", it.NextUpdate.Format(time.RFC3339), it.ThisUpdate.Format(time.RFC3339))
	}
	return nil
}

func validFingerprint(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// cleanName is at most max bytes of UTF-8 without control characters.
func cleanName(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

var kTrustVersion = []byte("trust_version")

// applyTrust decides the whole command before it writes anything, so
// that a refusal leaves the set as it was.
func (f *FSM) applyTrust(t *txn, index uint64, cmd *Command) any {
	op := cmd.Trust
	res := &TrustResult{Version: t.counter(kTrustVersion)}
	drop := map[string]bool{}
	for _, fp := range op.Remove {
		if t.get(bTrust, []byte(fp)) == nil {
			return fmt.Errorf("%w: %s", ErrTrustUnknown, fp)
		}
		drop[fp] = true
		res.Removed++
	}
	var add []TrustItem
	for _, it := range op.Add {
		if t.get(bTrust, []byte(it.Fingerprint)) != nil {
			res.Unchanged++
			continue
		}
		if it.Kind == TrustCRL {
			held, err := heldCRL(t, it.Issuer)
			if err != nil {
				return err
			}
			if held != nil && !drop[held.Fingerprint] {
				if !it.ThisUpdate.After(held.ThisUpdate) {
					return fmt.Errorf("%w: %q issued %s, the one held %s", ErrTrustCRLNotNewer, it.Issuer,
						it.ThisUpdate.UTC().Format(time.RFC3339), held.ThisUpdate.UTC().Format(time.RFC3339))
				}
				drop[held.Fingerprint] = true
				res.Replaced++
			}
		}
		add = append(add, it)
	}
	if len(drop)+len(add) == 0 {
		return res
	}
	gone := make([]string, 0, len(drop))
	for fp := range drop {
		gone = append(gone, fp)
	}
	sort.Strings(gone)
	for _, fp := range gone {
		f.dropTrust(t, fp)
	}
	for _, it := range add {
		e := TrustEntry{TrustItem: it, By: cmd.From.ID, Added: cmd.Received, Index: index}
		v, _ := json.Marshal(&e)
		t.put(bTrust, []byte(it.Fingerprint), v, true)
		if it.Kind == TrustCRL {
			t.put(bTrustCRL, []byte(it.Issuer), []byte(it.Fingerprint), false)
		}
		res.Added++
	}
	t.setCounter(kTrustVersion, index)
	res.Version = index
	t.events = append(t.events, Event{Kind: EventTrust, Version: index})
	return res
}

func (f *FSM) dropTrust(t *txn, fp string) {
	e, err := decodeTrustEntry(t.get(bTrust, []byte(fp)))
	if err != nil {
		panic(fmt.Sprintf("fsm: stored trust item %s: %v", fp, err))
	}
	if e.Kind == TrustCRL && string(t.get(bTrustCRL, []byte(e.Issuer))) == fp {
		if err := t.tx.Bucket(bTrustCRL).Delete([]byte(e.Issuer)); err != nil {
			panic(fmt.Sprintf("fsm: bbolt trust CRL index: %v", err))
		}
	}
	t.del(bTrust, []byte(fp))
}

// heldCRL is the CRL the set holds for issuer, or nil.
func heldCRL(t *txn, issuer string) (*TrustEntry, error) {
	fp := t.get(bTrustCRL, []byte(issuer))
	if fp == nil {
		return nil, nil
	}
	return decodeTrustEntry(t.get(bTrust, fp))
}

func decodeTrustEntry(v []byte) (*TrustEntry, error) {
	if v == nil {
		return nil, errors.New("trust index names an item the set does not hold")
	}
	e := &TrustEntry{}
	if err := json.Unmarshal(v, e); err != nil {
		return nil, err
	}
	return e, nil
}

// TrustVersion is the index of the trust set's last change (0: never
// changed). It is cheap enough to ask on every use of the set.
func (f *FSM) TrustVersion() (uint64, error) {
	var v uint64
	err := f.view(func(tx *bolt.Tx) error {
		v = meta(tx.Bucket(bMeta), kTrustVersion)
		return nil
	})
	return v, err
}

// Trust reads the whole set in one consistent view.
func (f *FSM) Trust() (*TrustSet, error) {
	s := &TrustSet{Entries: []TrustEntry{}}
	err := f.view(func(tx *bolt.Tx) error {
		s.Version = meta(tx.Bucket(bMeta), kTrustVersion)
		return tx.Bucket(bTrust).ForEach(func(k, v []byte) error {
			e, err := decodeTrustEntry(v)
			if err != nil {
				return fmt.Errorf("fsm: trust item %s: %w", k, err)
			}
			s.Entries = append(s.Entries, *e)
			return nil
		})
	})
	sort.Slice(s.Entries, func(i, j int) bool { return s.Entries[i].Fingerprint < s.Entries[j].Fingerprint })
	return s, err
}
