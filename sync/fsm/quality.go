package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// Data quality at the city (DESIGN.md, "Data quality"). Findings are
// state like records: each is decided by the rules of node/quality inside
// Apply, from the entry and the state alone (the date judged by is the
// entry's receive time), stored in a digest-covered bucket and replicated
// with the log. After every command the FSM re-checks what the command
// touched — the records it stored, their households, the children naming
// them as parents, their duplicate candidates, the reads it carried — and
// nothing else, so a change costs what it touches, not the city's size.
// A periodic sweep (KindQualitySweep, proposed by the leader) re-checks the
// city in ranges, for the rules that move with the date alone.
//
// Nothing is checked until the first sweep is applied: a log written
// before this code existed replays to the state it had, digest included.

// The states of a finding.
const (
	FindingOpen      = "open"      // found, nobody has looked at it yet
	FindingConfirmed = "confirmed" // city IT agrees it is a problem; it stays until the rule no longer finds it
	FindingFixed     = "fixed"     // the rule no longer finds it, or an officer put the record right
	FindingDismissed = "dismissed" // a person judged it no problem, with a reason; it stays dismissed
)

// FoundByRules is the Node of a finding the city's rules made; a chip
// read's finding names the edge that read the card.
const FoundByRules = "city"

// Finding is a data-quality finding as the city holds it. ID numbers
// findings in the order they were first found; Key names the subject (see
// quality.Finding.Key), so a finding found again is the same finding.
type Finding struct {
	ID           uint64           `json:"id"`
	Key          string           `json:"key"`
	Rule         quality.Rule     `json:"rule"`
	Citizen      string           `json:"citizen"`
	Other        string           `json:"other,omitempty"`
	Household    string           `json:"household,omitempty"`
	Commune      string           `json:"commune"`
	OtherCommune string           `json:"other_commune,omitempty"`
	Fields       []string         `json:"fields"`
	Evidence     quality.Evidence `json:"evidence"` // statements; a string in findings stored before evidence was structured
	Score        int              `json:"score,omitempty"`
	Chip         string           `json:"chip,omitempty"` // chip_mismatch: what the card states
	Assurance    string           `json:"assurance,omitempty"`
	Node         string           `json:"node"`           // found by: FoundByRules, or the edge that read the card
	Read         string           `json:"read,omitempty"` // the identification change that carried the read
	Found        time.Time        `json:"found"`
	FoundIndex   uint64           `json:"found_index"`
	State        string           `json:"state"`
	Reason       string           `json:"reason,omitempty"`
	By           string           `json:"by,omitempty"`
	Changed      time.Time        `json:"changed"`
	ChangedIndex uint64           `json:"changed_index"`
	History      []Transition     `json:"history,omitempty"` // earlier states, oldest first, at most maxHistory
	// Referrers is set only in a merge's answer, never stored: the
	// records that name the retired ID as a parent or spouse, found at
	// the merge's index, which city IT's node then repoints to the kept
	// record by city corrections (qualitymerge.go).
	Referrers []Reference `json:"referrers,omitempty"`
}

// Reference is a record naming another by ID in one of its fields.
type Reference struct {
	Citizen string `json:"citizen"`
	Field   string `json:"field"` // father_id, mother_id or spouse_id
}

// Transition is a state a finding left.
type Transition struct {
	State  string    `json:"state"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
	Index  uint64    `json:"index"`
}

const maxHistory = 8

// Closed reports whether the finding needs nobody's attention.
func (f *Finding) Closed() bool { return f.State == FindingFixed || f.State == FindingDismissed }

// FindingOp is the payload of KindFindingReview: city IT's decision on a
// finding.
type FindingOp struct {
	ID     uint64 `json:"id"`
	Action string `json:"action"`         // ReviewConfirm, ReviewDismiss, ReviewReopen or ReviewMerge
	Keep   string `json:"keep,omitempty"` // ReviewMerge: the record of the pair that stays
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// City IT's decisions on a finding.
const (
	ReviewConfirm = "confirm" // open → confirmed
	ReviewDismiss = "dismiss" // open, confirmed or fixed → dismissed
	ReviewReopen  = "reopen"  // dismissed or fixed → open
	// ReviewMerge: an open or confirmed duplicate pair → fixed, the record
	// Keep names stays and the other is retired into it (qualitymerge.go).
	ReviewMerge = "merge"
)

func (op *FindingOp) check() error {
	switch {
	case op == nil || op.ID == 0:
		return errors.New("finding review without a finding")
	case op.Action != ReviewConfirm && op.Action != ReviewDismiss && op.Action != ReviewReopen && op.Action != ReviewMerge:
		return fmt.Errorf("finding review: unknown action %q", op.Action)
	case op.Reason == "" || len(op.Reason) > registry.MaxNoteLen || len(op.By) > 64:
		return errors.New("finding review needs a reason (and a short operator name)")
	case op.Action == ReviewMerge && !validID(op.Keep):
		return fmt.Errorf("finding merge: keep %.20q is not a personal ID", op.Keep)
	case op.Action != ReviewMerge && op.Keep != "":
		return fmt.Errorf("finding review: keep is for %s only, not %s", ReviewMerge, op.Action)
	}
	return nil
}

func validID(s string) bool { _, err := registry.ParseID(s); return err == nil }

// SweepOp is the payload of KindQualitySweep: re-check up to Limit
// citizens with IDs after From, in ID order.
type SweepOp struct {
	From  string `json:"from"`
	Limit int    `json:"limit"`
}

// MaxSweep bounds one sweep entry, so that it holds the log briefly.
const MaxSweep = 5000

func (op *SweepOp) check() error {
	if op == nil || op.Limit < 1 || op.Limit > MaxSweep || len(op.From) > 64 {
		return fmt.Errorf("quality sweep of 1..%d citizens after a citizen ID", MaxSweep)
	}
	return nil
}

// SweepResult answers a KindQualitySweep entry.
type SweepResult struct {
	Checked int    `json:"checked"`
	Next    string `json:"next"` // the From of the next range; "" when the sweep went round
}

// Buckets of data quality. Findings are primary (in the digest); the rest
// is derived from the records and findings and kept in step with them.
var (
	bFindings     = []byte("findings")          // id(8) → Finding (JSON)
	bFindingKeys  = []byte("finding_keys")      // Finding.Key → id(8) (index)
	bFindingsComm = []byte("findings_commune")  // commune 0 id(8) (index)
	bFindingsCit  = []byte("findings_citizen")  // citizen 0 id(8) (index; a pair under both)
	bQBlocks      = []byte("quality_blocks")    // block key 0 citizen (index)
	bQHouseholds  = []byte("quality_household") // household 0 citizen (index)
	bQChildren    = []byte("quality_children")  // parent 0 child (index)
	bQSpouses     = []byte("quality_spouses")   // spouse 0 citizen naming them (index; merges repoint through it)
	bQConfirmed   = []byte("quality_confirmed") // citizen → last day confirmed in person, YYYY-MM-DD (index)
	bQFigures     = []byte("quality_figures")   // commune → Figures (JSON; index)
	bQWeekly      = []byte("quality_weekly")    // week (YYYY-MM-DD, a Monday) 0 commune → Figures at its end (index)

	kFindingSeq   = []byte("finding_seq")
	kQualityOn    = []byte("quality_on")    // set by the first sweep: rules run from then on
	kQualityIndex = []byte("quality_index") // the derived buckets are complete (version)
	kQualityWeek  = []byte("quality_week")  // the week of the last entry (YYYY-MM-DD)
	kQualitySwept = []byte("quality_swept") // receive time (unix ms, 8 bytes) of the sweep entry that last went round
	kSpouseIndex  = []byte("spouse_index")  // bQSpouses is complete
)

// qualityIndexVersion changes when the derived buckets' layout does: open
// rebuilds them from the records.
const qualityIndexVersion = "1"

// qualityTxn is what one batch gathers for the quality re-check.
type qualityTxn struct {
	entry      uint64
	when       time.Time
	touched    map[string]bool // citizens whose record was stored
	households map[string]bool // households a stored record left or joined
	reads      []*registry.Change
	figures    map[string]*Figures // commune → figures, written back at the end of the batch
	// pending holds the writes to the derived indexes of values (blocks,
	// households, children) until the end of the batch, when they go in
	// in key order: a bulk import puts hundreds of thousands of random
	// keys into them within one bbolt transaction, where each put moves
	// the tail of an ever larger node (quadratic), while puts in order
	// append. Reads merge them in (members).
	pending map[string]map[string]map[string]bool // bucket → value → id → present
	// cache holds the records decoded during one re-check, which reads
	// the same few records many times and writes none (nil outside one).
	cache map[string]*registry.Citizen
}

// cit is the record of id as the re-check sees it: decoded once per
// re-check; nil when there is none.
func (t *txn) cit(id string) *registry.Citizen {
	if t.q == nil || t.q.cache == nil {
		return loadCitizen(t, id)
	}
	c, ok := t.q.cache[id]
	if !ok {
		c = loadCitizen(t, id)
		t.q.cache[id] = c
	}
	return c
}

func (t *txn) quality() *qualityTxn {
	if t.q == nil {
		t.q = &qualityTxn{touched: map[string]bool{}, households: map[string]bool{}, figures: map[string]*Figures{},
			pending: map[string]map[string]map[string]bool{}}
	}
	return t.q
}

// note records a pending write of id under value in an index of values.
func (t *txn) note(bucket []byte, value, id string, present bool) {
	q := t.quality()
	b := q.pending[string(bucket)]
	if b == nil {
		b = map[string]map[string]bool{}
		q.pending[string(bucket)] = b
	}
	if b[value] == nil {
		b[value] = map[string]bool{}
	}
	b[value][id] = present
}

// flushIndexes writes the pending index writes, each bucket's in key order.
func (t *txn) flushIndexes() {
	if t.q == nil {
		return
	}
	for _, name := range sortedKeys(mapKeys(t.q.pending)) {
		bucket := t.tx.Bucket([]byte(name))
		var keys []string
		present := map[string]bool{}
		for value, ids := range t.q.pending[name] {
			for id, p := range ids {
				k := string(keyed(value, id))
				keys = append(keys, k)
				present[k] = p
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			var err error
			if present[k] {
				err = bucket.Put([]byte(k), nil)
			} else {
				err = bucket.Delete([]byte(k))
			}
			if err != nil {
				panic(fmt.Sprintf("fsm: bbolt %s: %v", name, err))
			}
		}
	}
	t.q.pending = map[string]map[string]map[string]bool{}
}

func mapKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// qualityOn reports whether the rules run.
func (t *txn) qualityOn() bool { return t.get(bMeta, kQualityOn) != nil }

// keyed builds index keys: parts joined by 0.
func keyed(parts ...string) []byte {
	var k []byte
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// qualityStored keeps the derived buckets in step with a stored record
// (old is the record before, nil for a new one) and notes it for the
// re-check. storeCitizen calls it for every write of a record.
func (t *txn) qualityStored(old, c *registry.Citizen) {
	var oldKeys []string
	var oldHH, oldFather, oldMother, oldSpouse string
	if old != nil {
		oldKeys = quality.BlockKeys(old)
		oldHH, oldFather, oldMother = old.Get(registry.FieldHousehold), old.Get(registry.FieldFatherID), old.Get(registry.FieldMotherID)
		oldSpouse = old.Get(registry.FieldSpouseID)
	}
	newKeys := quality.BlockKeys(c)
	for _, k := range oldKeys {
		if !slices.Contains(newKeys, k) {
			t.note(bQBlocks, k, c.ID, false)
		}
	}
	for _, k := range newKeys {
		if !slices.Contains(oldKeys, k) {
			t.note(bQBlocks, k, c.ID, true)
		}
	}
	t.reindex(bQHouseholds, oldHH, c.Get(registry.FieldHousehold), c.ID)
	t.reindex(bQChildren, oldFather, c.Get(registry.FieldFatherID), c.ID)
	t.reindex(bQChildren, oldMother, c.Get(registry.FieldMotherID), c.ID)
	t.reindex(bQSpouses, oldSpouse, c.Get(registry.FieldSpouseID), c.ID)
	q := t.quality()
	q.touched[c.ID] = true
	for _, hh := range []string{oldHH, c.Get(registry.FieldHousehold)} {
		if hh != "" {
			q.households[hh] = true
		}
	}
	if old != nil {
		t.figures(old.Get(registry.FieldCommune)).count(old, -1)
	}
	t.figures(c.Get(registry.FieldCommune)).count(c, 1)
}

// reindex moves id from under old to under new in an index of values.
func (t *txn) reindex(bucket []byte, old, new, id string) {
	if old == new {
		return
	}
	if old != "" {
		t.note(bucket, old, id, false)
	}
	if new != "" {
		t.note(bucket, new, id, true)
	}
}

// members lists the IDs filed under value in an index of values, the
// batch's pending writes included, at most limit (0: all), in ID order.
func (t *txn) members(bucket []byte, value string, limit int) []string {
	var pending map[string]bool
	if t.q != nil && t.q.pending[string(bucket)] != nil {
		pending = t.q.pending[string(bucket)][value]
	}
	scan := 0 // how many stored ones are needed: limit, plus those pending removal
	if limit > 0 {
		scan = limit + len(pending)
	}
	prefix := append([]byte(value), 0)
	var out []string
	c := t.tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		if scan > 0 && len(out) == scan {
			break
		}
		if id := string(k[len(prefix):]); pending == nil || pending[id] || !hasKey(pending, id) {
			out = append(out, id)
		}
	}
	for id, present := range pending {
		if present && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func hasKey(m map[string]bool, k string) bool { _, ok := m[k]; return ok }

// records is the state as quality.Records: the rules read parents and
// confirmations through it.
type records struct{ t *txn }

func (r records) Citizen(id string) *registry.Citizen { return r.t.cit(id) }

func (r records) Confirmed(id string) registry.Date {
	d, _ := registry.ParseDate(string(r.t.get(bQConfirmed, []byte(id))))
	return d
}

// confirm notes that an office saw the citizen in person on day d.
func (t *txn) confirm(id string, d registry.Date) {
	day := d.String()
	// A stored day is canonical (written here): compared as it is.
	old := string(t.get(bQConfirmed, []byte(id)))
	if len(old) != 10 || old[4] != '-' || old[7] != '-' {
		o, _ := registry.ParseDate(old)
		old = o.String()
	}
	if old >= day {
		return
	}
	if err := t.tx.Bucket(bQConfirmed).Put([]byte(id), []byte(day)); err != nil {
		panic(fmt.Sprintf("fsm: bbolt quality confirmed: %v", err))
	}
	t.quality().touched[id] = true
}

// noteChange lets the quality re-check see an office's decided change:
// what confirms the citizen in person, and a card read's differences.
func (f *FSM) noteChange(t *txn, cmd *Command, c *registry.Change, o *registry.Outcome) {
	if cmd.Legacy() || (o.Result != registry.Applied && o.Result != registry.Merged) {
		return
	}
	switch c.Op {
	case registry.OpIdentify, registry.OpProcedure, registry.OpRegisterPermanent, registry.OpRegisterTemporary,
		registry.OpRegisterBirth, registry.OpCorrect:
		t.confirm(o.Citizen, quality.DateOf(cmd.Received))
	}
	if c.Op == registry.OpIdentify {
		// Only a resident's read becomes findings: an office reports on
		// its own commune's records (DESIGN.md, "Authority").
		if cit := loadCitizen(t, c.Citizen); cit != nil && f.nodeMayAct(t, c.Node, cit.Get(registry.FieldCommune)) {
			q := t.quality()
			q.reads = append(q.reads, c)
		}
	}
}

// findingID reads an 8-byte ID.
func findingID(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// maxFindingCache bounds the findings txn.finding keeps decoded: a city's
// working set of open findings (a few tens of megabytes).
const maxFindingCache = 32768

// cachedFinding is a finding as stored and as decoded; never changed.
type cachedFinding struct {
	raw []byte
	f   *Finding
}

// finding reads a finding (nil when there is none) as a copy whose fields
// the caller may set; its slices are clipped, so appending copies them.
func (t *txn) finding(id uint64) *Finding {
	v := t.get(bFindings, u64(id))
	if v == nil {
		return nil
	}
	e, ok := t.findings[id]
	if !ok || !bytes.Equal(e.raw, v) {
		e = cachedFinding{raw: bytes.Clone(v), f: new(Finding)}
		if err := json.Unmarshal(v, e.f); err != nil {
			panic(fmt.Sprintf("fsm: stored finding %d: %v", id, err))
		}
		if t.findings != nil {
			if len(t.findings) >= maxFindingCache {
				clear(t.findings)
			}
			t.findings[id] = e
		}
	}
	cached := e.f
	f := *cached
	f.Fields, f.Evidence, f.History = slices.Clip(f.Fields), slices.Clip(f.Evidence), slices.Clip(f.History)
	return &f
}

func (t *txn) findingByKey(key string) *Finding {
	if v := t.get(bFindingKeys, []byte(key)); v != nil {
		return t.finding(findingID(v))
	}
	return nil
}

// findingsOf lists the findings about a citizen (as Citizen or Other).
func (t *txn) findingsOf(citizen string) []*Finding {
	var out []*Finding
	prefix := append([]byte(citizen), 0)
	c := t.tx.Bucket(bFindingsCit).Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		out = append(out, t.finding(findingID(k[len(prefix):])))
	}
	return out
}

// putFinding stores a finding (old: as it was, nil for a new one) and
// keeps the indexes and figures in step.
func (t *txn) putFinding(old, f *Finding) {
	v, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("fsm: finding %d: %v", f.ID, err))
	}
	id := u64(f.ID)
	t.put(bFindings, id, v, true)
	if old == nil {
		if err := t.tx.Bucket(bFindingKeys).Put([]byte(f.Key), id); err != nil {
			panic(fmt.Sprintf("fsm: bbolt finding key: %v", err))
		}
		for _, c := range []string{f.Citizen, f.Other} {
			if c != "" {
				t.index(bFindingsCit, []byte(c), id)
			}
		}
	} else {
		t.figures(old.Commune).finding(old, -1)
	}
	t.figures(f.Commune).finding(f, 1)
	var was []string
	if old != nil {
		was = []string{old.Commune, old.OtherCommune}
	}
	now := []string{f.Commune, f.OtherCommune}
	for _, c := range was {
		if c != "" && !slices.Contains(now, c) {
			t.unindex(bFindingsComm, []byte(c), id)
		}
	}
	for _, c := range now {
		if c != "" && !slices.Contains(was, c) {
			t.index(bFindingsComm, []byte(c), id)
		}
	}
}

// moveTo puts a finding into a new state, keeping the one it leaves.
func (f *Finding) moveTo(state, by, reason string, when time.Time, index uint64) {
	f.History = append(f.History, Transition{State: f.State, By: f.By, Reason: f.Reason, Time: f.Changed, Index: f.ChangedIndex})
	if len(f.History) > maxHistory {
		f.History = f.History[len(f.History)-maxHistory:]
	}
	f.State, f.By, f.Reason, f.Changed, f.ChangedIndex = state, by, reason, when, index
}

// source is who found a finding: the city's rules, or an edge's read.
type source struct{ node, read string }

// upsert records what a rule found: a new finding, or the same one found
// again with what it says now. A fixed finding found again reopens; a
// dismissed one stays dismissed; nothing is written when nothing changed.
func (t *txn) upsert(qf quality.Finding, src source, chip string) {
	q := t.quality()
	fields := make([]string, len(qf.Fields))
	for i, x := range qf.Fields {
		fields[i] = x.String()
	}
	next := Finding{Key: qf.Key(), Rule: qf.Rule, Citizen: qf.Citizen, Other: qf.Other, Household: qf.Household,
		Commune: t.communeOf(qf.Citizen), OtherCommune: t.communeOf(qf.Other), Fields: fields, Evidence: qf.Evidence,
		Score: qf.Score, Chip: chip, Assurance: qf.Assurance, Node: src.node, Read: src.read}
	old := t.findingByKey(next.Key)
	if old == nil {
		seq := t.counter(kFindingSeq) + 1
		t.setCounter(kFindingSeq, seq)
		next.ID, next.Found, next.FoundIndex = seq, q.when, q.entry
		next.State, next.By, next.Changed, next.ChangedIndex = FindingOpen, FoundByRules, q.when, q.entry
		t.putFinding(nil, &next)
		return
	}
	f := *old
	f.History = slices.Clone(old.History)
	f.Commune, f.OtherCommune, f.Fields, f.Evidence, f.Score = next.Commune, next.OtherCommune, next.Fields, next.Evidence, next.Score
	if src.read != "" {
		f.Chip, f.Assurance, f.Node, f.Read = next.Chip, next.Assurance, next.Node, next.Read
	}
	if f.State == FindingFixed {
		f.moveTo(FindingOpen, FoundByRules, "found again", q.when, q.entry)
	}
	if !sameFinding(old, &f) {
		t.putFinding(old, &f)
	}
}

// sameFinding reports whether storing b over a would change nothing. Equal
// values marshal to equal bytes; values that differ only where the JSON
// does not (a nil and an empty list, say) are stored again, which writes
// the very bytes the store holds and so changes no state either. It is
// what comparing the two marshalled findings decided, without marshalling
// (that was a twentieth of a replica's apply).
func sameFinding(a, b *Finding) bool { return reflect.DeepEqual(a, b) }

// fix closes an open or confirmed finding the rule no longer makes.
func (t *txn) fix(f *Finding) {
	if f == nil || f.Closed() {
		return
	}
	q := t.quality()
	next := *f
	next.History = slices.Clone(f.History)
	next.moveTo(FindingFixed, FoundByRules, "no longer found", q.when, q.entry)
	t.putFinding(f, &next)
}

func (t *txn) communeOf(id string) string {
	if id == "" {
		return ""
	}
	if c := t.cit(id); c != nil {
		return c.Get(registry.FieldCommune)
	}
	return ""
}
