package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xanode/xanode/node/registry"
)

// applyChange decides one change and records it. It is a pure function of
// the bbolt state, the change, its sender, the leader's receive time and
// the log position: every replica decides the same.
func (f *FSM) applyChange(t *txn, cmd *Command, index uint64, c *registry.Change) *registry.Outcome {
	id := c.ID()
	if t.mayBeDecided(c.Node, c.Seq) {
		o, err := t.decidedOutcome(c)
		if err != nil {
			panic(fmt.Sprintf("fsm: stored outcome of %s: %v", id, err))
		}
		if o != nil {
			dup := *o
			dup.Original, dup.Result = o.Result, registry.Duplicate
			return &dup
		}
	}
	o := &registry.Outcome{Change: id, Index: index, Citizen: c.Citizen}
	if limit := registry.HLCFromTime(cmd.Received.Add(f.cfg.ClampAfter)); c.Time > limit {
		c.Time, o.Clamped = registry.HLCFromTime(cmd.Received), true
	}
	if cmd.Legacy() {
		f.decideV1(t, c, o)
	} else {
		f.decide(t, c, o)
	}
	f.record(t, c, o)
	f.noteChange(t, cmd, c, o)
	return o
}

// mayBeDecided reports whether a change of node numbered seq may have been
// decided already, that is whether its outcome must be looked up: one
// numbered above the highest the node's decided changes have is new. The
// highest is learned once per node and process, from the node's stored
// outcomes (lastSeq), and kept in step by record (FSM.decided); it
// decides nothing, as the lookup it spares would find nothing.
func (t *txn) mayBeDecided(node string, seq uint64) bool {
	if t.decided == nil {
		return true
	}
	m, ok := t.decided[node]
	if !ok {
		if len(t.decided) >= maxDecidedNodes {
			clear(t.decided)
		}
		m = lastSeq(t, node)
		t.decided[node] = m
	}
	return seq <= m
}

// maxDecidedNodes bounds FSM.decided (a city's fleet is a few thousand
// boxes).
const maxDecidedNodes = 1 << 16

// ReasonNotAvailable is the one answer an edge gets about a citizen it may
// not reach, whether the ID is unknown or belongs to another commune: a
// rejection never tells an office where someone else lives, or whether
// they exist.
const ReasonNotAvailable = "citizen not available to this office: another commune's citizen needs proof of presence (the chip read at the desk)"

// decide fills in the outcome and applies what wins, by the authority
// table (registry.Authorities) and the conflict rules (DESIGN.md,
// "Conflict resolution"). The checks run in an order that tells an edge
// nothing about a citizen it may not reach: who sends, for which commune,
// under which officer, then whether the citizen is within reach, and only
// then anything about the record.
func (f *FSM) decide(t *txn, c *registry.Change, o *registry.Outcome) {
	if err := c.Validate(); err != nil {
		reject(o, err.Error())
		return
	}
	if !f.nodeMayAct(t, c.Node, c.Commune) {
		reject(o, fmt.Sprintf("node %s is not assigned commune %s", c.Node, c.Commune))
		return
	}
	if result, reason := officerCheck(t, c); result != "" {
		o.Result, o.Reason = result, reason
		return
	}
	rule, _ := registry.AuthorityOf(c.Op, registry.RoleEdge)
	if rule.Reach == registry.ReachNewborn {
		if dest, _ := c.Patch.Get(registry.FieldCommune); dest != c.Commune {
			reject(o, fmt.Sprintf("a birth is registered in the office's own commune %s, not %s", c.Commune, dest))
			return
		}
		f.registerBirth(t, c, o)
		return
	}
	// The record as the batch holds it, shared: read only until
	// applyPatch, which gets a copy (most changes apply nothing).
	var cit *registry.Citizen
	if e := t.citizen(c.Citizen); e != nil {
		cit = &e.c
	}
	resident := cit != nil && f.nodeMayAct(t, c.Node, cit.Get(registry.FieldCommune))
	var proof *Presence // a proof of presence matters only for someone else's resident
	if !resident {
		proof = t.presence(c.Node, c.Citizen, c.Time)
	}
	if !reaches(rule.Reach, cit, resident, c, proof) {
		reject(o, ReasonNotAvailable)
		return
	}
	switch {
	case c.Base > cit.Version:
		reject(o, fmt.Sprintf("base version %d is newer than the record (%d)", c.Base, cit.Version))
		return
	case cit.Merged():
		reject(o, mergedReason(t, cit.ID))
		return
	case c.Op == registry.OpIdentify || c.Op == registry.OpProcedure:
		o.Result = registry.Applied // history only
		return
	case c.Op == registry.OpFindingResolve:
		f.resolveFinding(t, c, o) // a finding's state; the record stays as it is
		return
	case cit.Deceased():
		reject(o, "citizen is deceased: only a city correction may change the record")
		return
	}
	if !resident && !proof.AA {
		o.Result, o.Reason = registry.NeedsReview, proof.reviewReason()
		return
	}
	if reason := f.competingResidence(cit, c); reason != "" {
		o.Result, o.Reason = registry.NeedsReview, reason
		return
	}
	own := *cit
	applyPatch(t, &own, c, o)
}

// reaches applies the reach of the operation's row: a resident of a
// commune the node serves is always within reach; anyone else only with a
// proof of presence, and a permanent registration only into the office's
// own commune.
func reaches(r registry.Reach, cit *registry.Citizen, resident bool, c *registry.Change, proof *Presence) bool {
	if cit == nil {
		return false
	}
	if resident {
		return true
	}
	switch r {
	case registry.ReachVisitor:
		return proof != nil
	case registry.ReachArriving:
		dest, _ := c.Patch.Get(registry.FieldCommune)
		return proof != nil && dest == c.Commune
	}
	return false
}

// officerCheck decides what the officer named in an edge's change allows
// (result "" when the change may proceed): the officer must hold an
// account of the commune at the city, not disabled before the action,
// with a role the operation allows (registry.OfficerMay). A name the city
// has no account for is a local break-glass account of the box: its
// changes wait for city IT (needs_review), never apply by themselves.
// maxOfficerCache bounds the accounts officerCheck keeps decoded.
const maxOfficerCache = 4096

func officerCheck(t *txn, c *registry.Change) (registry.Result, string) {
	v := t.hotGet(bOfficers, officerKey(c.Commune, c.Officer))
	if v == nil {
		return registry.NeedsReview, fmt.Sprintf("recorded by officer %q, who has no account of commune %s at the city (a local break-glass account?): city IT checks the officer and decides", c.Officer, c.Commune)
	}
	acc, ok := t.officers[string(v)]
	if !ok {
		var dec Officer // decoded here only: acc stays on the stack
		if err := json.Unmarshal(v, &dec); err != nil {
			panic(fmt.Sprintf("fsm: officer %s/%s: %v", c.Commune, c.Officer, err))
		}
		if len(t.officers) >= maxOfficerCache {
			clear(t.officers)
		}
		t.officers[string(v)], acc = dec, dec
	}
	if acc.Disabled && c.Time.Millis() >= acc.Changed.UnixMilli() {
		return registry.Rejected, fmt.Sprintf("officer account %q of commune %s was disabled on %s, before this action", c.Officer, c.Commune, acc.Changed.Format(time.DateOnly))
	}
	if !registry.OfficerMay(acc.Role, c.Op) {
		return registry.Rejected, fmt.Sprintf("officer %q (%s) may not record %s", c.Officer, acc.Role, c.Op)
	}
	return "", ""
}

// decideV1 decides entries of log format 1 (no sender stamp) exactly as
// they were decided when they were written, so that a replica replaying an
// old log reaches the state the others hold. Nothing new is decided here.
func (f *FSM) decideV1(t *txn, c *registry.Change, o *registry.Outcome) {
	if err := c.ValidateV1(); err != nil {
		reject(o, err.Error())
		return
	}
	if !f.nodeMayAct(t, c.Node, c.Commune) {
		reject(o, fmt.Sprintf("node %s is not assigned commune %s", c.Node, c.Commune))
		return
	}
	if c.Op == registry.OpRegisterBirth {
		f.registerBirth(t, c, o)
		return
	}
	cit := loadCitizen(t, c.Citizen)
	switch {
	case cit == nil:
		reject(o, "unknown citizen "+c.Citizen)
		return
	case c.Base > cit.Version:
		reject(o, fmt.Sprintf("base version %d is newer than the record (%d)", c.Base, cit.Version))
		return
	case c.Op == registry.OpIdentify || c.Op == registry.OpProcedure:
		o.Result = registry.Applied
		return
	case cit.Deceased():
		reject(o, "citizen is deceased: only a city correction may change the record")
		return
	case !belongsV1(cit, c):
		reject(o, fmt.Sprintf("citizen belongs to commune %s, not %s", cit.Get(registry.FieldCommune), c.Commune))
		return
	}
	if reason := f.competingResidence(cit, c); reason != "" {
		o.Result, o.Reason = registry.NeedsReview, reason
		return
	}
	applyPatch(t, cit, c, o)
}

func reject(o *registry.Outcome, reason string) {
	o.Result, o.Reason = registry.Rejected, reason
}

// belongsV1 is log format 1's commune rule: the citizen lives in the
// change's commune, or the change moves the citizen's permanent residence
// there (without any proof: format 2 asks for one).
func belongsV1(cit *registry.Citizen, c *registry.Change) bool {
	if cit.Get(registry.FieldCommune) == c.Commune {
		return true
	}
	dest, _ := c.Patch.Get(registry.FieldCommune)
	return c.Op == registry.OpRegisterPermanent && dest == c.Commune
}

// competingResidence sends to review a residence registration that meets
// another node's registration of the same kind made within the review
// window and unseen by this one: neither officer knew of the other.
func (f *FSM) competingResidence(cit *registry.Citizen, c *registry.Change) string {
	var field registry.Field
	switch c.Op {
	case registry.OpRegisterPermanent:
		field = registry.FieldPermanentAddress
	case registry.OpRegisterTemporary:
		field = registry.FieldTemporaryAddress
	default:
		return ""
	}
	s := cit.Stamps[field]
	if s.Index <= c.Base || s.Node == c.Node || s.Node == cityNode {
		return ""
	}
	gap := time.Duration(abs(s.Time.Millis()-c.Time.Millis())) * time.Millisecond
	if gap >= f.cfg.ReviewWindow {
		return ""
	}
	// Built by hand: it is the answer to most changes of a busy office,
	// and fmt made it a twentieth of a replica's apply. The bytes are
	// those of "competing %s by %s at index %d (%q), %s apart"
	// (TestCompetingReason).
	return "competing " + field.String() + " by " + s.Node + " at index " + strconv.FormatUint(s.Index, 10) +
		" (" + quote(cit.Get(field)) + "), " + gap.Round(time.Second).String() + " apart"
}

// quote is strconv.Quote, without its rune-by-rune printability lookups
// for the text an address is made of: printable ASCII other than the quote
// and the backslash, and the Latin letters of Vietnamese (U+00C0–U+024F,
// U+1EA0–U+1EFF), which Quote leaves as they are. Anything else goes
// through Quote (TestQuote).
func quote(s string) string {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < ' ' || c == 0x7f || c == '"' || c == '\\' {
				return strconv.Quote(s)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !(r >= 0xC0 && r <= 0x24F || r >= 0x1EA0 && r <= 0x1EFF) {
			return strconv.Quote(s)
		}
		i += n
	}
	return `"` + s + `"`
}

// applyPatch applies the fields that win: those not changed since the
// change's base version, or changed by an earlier action (HLC, then node ID).
func applyPatch(t *txn, cit *registry.Citizen, c *registry.Change, o *registry.Outcome) {
	stamp := registry.Stamp{Index: o.Index, Time: c.Time, Node: c.Node}
	oldCommune := cit.Get(registry.FieldCommune)
	changed := 0
	for _, fv := range c.Patch {
		s := cit.Stamps[fv.Field]
		if cit.Values[fv.Field] == fv.Value {
			continue // already so: neither a change nor a loss
		}
		if s.Index > c.Base && later(s, stamp) {
			o.Lost = append(o.Lost, registry.Loss{Field: fv.Field, Winner: cit.Values[fv.Field], By: s.Node, Time: s.Time})
			continue
		}
		cit.Set(fv.Field, fv.Value, stamp)
		changed++
	}
	switch {
	case len(o.Lost) == 0:
		o.Result = registry.Applied
	case changed == 0:
		o.Result, o.Reason = registry.Superseded, "every field was set later by another change"
		return
	default:
		o.Result = registry.Merged
	}
	if changed == 0 {
		return
	}
	storeCitizen(t, cit, oldCommune)
}

// later reports whether stamp a orders after b: action time, then node ID.
func later(a, b registry.Stamp) bool {
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	return a.Node > b.Node
}

// registerBirth creates the newborn's record under an ID from the city's
// pool, unless a birth of the same name, date and mother already exists:
// that one goes to the conflict queue, never silently merged.
func (f *FSM) registerBirth(t *txn, c *registry.Change, o *registry.Outcome) {
	if prev := t.get(bBirths, birthKey(c)); prev != nil {
		o.Result, o.Reason = registry.NeedsReview, "likely duplicate of the birth of "+string(prev)
		return
	}
	f.birth(t, c, o)
}

// birthKey identifies a birth for duplicate detection: the folded name,
// the date of birth, and the mother (by ID, else by folded name).
func birthKey(c *registry.Change) []byte {
	name, _ := c.Patch.Get(registry.FieldFullName)
	dob, _ := c.Patch.Get(registry.FieldBirthDate)
	mother, _ := c.Patch.Get(registry.FieldMotherID)
	if mother == "" {
		mother, _ = c.Patch.Get(registry.FieldMotherName)
		mother = registry.FoldName(mother)
	}
	return []byte(registry.FoldName(name) + "|" + dob + "|" + mother)
}

// birth assigns the ID and stores the newborn's record.
func (f *FSM) birth(t *txn, c *registry.Change, o *registry.Outcome) {
	sex, _ := c.Patch.Get(registry.FieldSex)
	dob, _ := c.Patch.Get(registry.FieldBirthDate)
	d, _ := registry.ParseDate(dob)
	id, ok := f.nextID(t, d.Year, sex == registry.SexFemale)
	if !ok {
		reject(o, fmt.Sprintf("the ID pool for province %s, year %d is exhausted", f.cfg.Province, d.Year))
		return
	}
	cit := &registry.Citizen{ID: id}
	stamp := registry.Stamp{Index: o.Index, Time: c.Time, Node: c.Node}
	for _, fv := range c.Patch {
		cit.Set(fv.Field, fv.Value, stamp)
	}
	if cit.Get(registry.FieldNationality) == "" {
		cit.Set(registry.FieldNationality, "Việt Nam", stamp)
	}
	cit.Set(registry.FieldStatus, registry.StatusAlive, stamp)
	storeCitizen(t, cit, "")
	t.put(bBirths, birthKey(c), []byte(id), false)
	o.Result, o.Citizen = registry.Applied, id
}

// nextID takes the next unused serial of the pool for a birth year and sex.
func (f *FSM) nextID(t *txn, year int, female bool) (string, bool) {
	probe := registry.MakeID(f.cfg.Province, year, female, 0)
	key := []byte(probe[:6])
	next := uint64(f.cfg.PoolFirst)
	if v := t.get(bPool, key); v != nil {
		next, _ = binary.Uvarint(v)
	}
	for ; next <= uint64(f.cfg.PoolLast); next++ {
		id := registry.MakeID(f.cfg.Province, year, female, int(next))
		if t.get(bCitizens, []byte(id)) == nil {
			t.put(bPool, key, binary.AppendUvarint(nil, next+1), true)
			return id, true
		}
	}
	return "", false
}

// record stores the change and its outcome in the history, whatever the
// outcome: nothing an officer records is ever dropped.
func (f *FSM) record(t *txn, c *registry.Change, o *registry.Outcome) {
	if m, ok := t.decided[c.Node]; ok && c.Seq > m {
		t.decided[c.Node] = c.Seq
	}
	seq := t.nextSeq()
	key := u64(seq)
	if t.level() >= 3 {
		// The entry goes into its log entry's block (historyblocks.go),
		// with its citizen's link, and a run maps the change to it
		// (runs.go): the outcome is stored once. The chain covers it.
		b := &t.block
		start := b.begin(seq, t.linkHistory(o.Citizen, key))
		b.buf = registry.AppendChange(b.buf, c)
		b.buf = registry.AppendOutcome(b.buf, o)
		t.historyChain().add(key, b.end(start))
		t.addRun(c.Node, c.Seq, seq)
	} else {
		// The history entry is the change followed by its outcome, and
		// the outcome's own value is the same bytes: encoded once, in one
		// allocation (bbolt keeps both until the commit; neither is
		// changed). applyChange answered a change ID already decided as a
		// duplicate, so its outcome is new too.
		val := registry.AppendChange(make([]byte, 0, 384+len(c.Note)+len(o.Reason)), c)
		n := len(val)
		val = registry.AppendOutcome(val, o)
		if chain := t.historyChain(); chain != nil { // level 2: the chain covers both
			chain.add(key, val)
			t.write(bHistory, key, val)
			t.write(bOutcomes, []byte(o.Change), val[n:len(val):len(val)])
		} else {
			t.insert(bHistory, key, val) // a new sequence number
			t.insert(bOutcomes, []byte(o.Change), val[n:len(val):len(val)])
		}
		if prev := t.linkHistory(o.Citizen, key); prev != nil {
			b := t.tx.Bucket(bHistPrev)
			b.FillPercent = 1.0 // appended in seq order
			if err := b.Put(key, prev); err != nil {
				panic(fmt.Sprintf("fsm: bbolt history chain: %v", err))
			}
		}
	}
	if o.Result == registry.NeedsReview {
		// The queue's keys are sequence numbers: appended in order, so
		// a split leaves the left page full.
		b := t.tx.Bucket(bReview)
		b.FillPercent = 1.0
		if err := b.Put(key, nil); err != nil {
			panic(fmt.Sprintf("fsm: bbolt review queue: %v", err))
		}
	}
}

func (f *FSM) nodeMayAct(t *txn, node, commune string) bool {
	if commune == "" {
		return false
	}
	for c := range bytes.SplitSeq(t.hotGet(bNodes, []byte(node)), []byte(",")) {
		if string(c) == commune {
			return true
		}
	}
	return false
}

// loadCitizen returns the citizen's record (nil when there is none) as a
// copy the caller may change: records a batch reads or writes are decoded
// once and kept in the batch (txn.cits), as is what the store holds.
func loadCitizen(t *txn, id string) *registry.Citizen {
	e := t.citizen(id)
	if e == nil {
		return nil
	}
	c := e.c
	return &c
}

// citizen is the batch's entry of a record: what the store holds for id,
// raw and decoded; nil when it holds nothing. Only storeCitizen writes
// records, and it keeps the entry in step, in the batch (cits) and across
// batches (records): a record there is what the store holds, so it is
// not read again (FSM.records).
func (t *txn) citizen(id string) *cachedCitizen {
	if e, ok := t.cits[id]; ok {
		return e
	}
	e := t.records[id]
	if e == nil {
		if v := t.get(bCitizens, []byte(id)); v != nil {
			c, _, err := registry.DecodeCitizen(v)
			if err != nil {
				panic(fmt.Sprintf("fsm: stored citizen %s: %v", id, err))
			}
			e = &cachedCitizen{raw: bytes.Clone(v), c: *c}
			t.remember(e)
		}
	}
	if t.cits == nil {
		t.cits = map[string]*cachedCitizen{}
	}
	t.cits[id] = e
	return e
}

// maxRecordCache bounds the records FSM.records keeps decoded (a few
// tens of megabytes).
const maxRecordCache = 16384

// remember keeps a decoded record for later batches.
func (t *txn) remember(e *cachedCitizen) {
	if t.records == nil {
		return
	}
	if len(t.records) >= maxRecordCache {
		clear(t.records)
	}
	t.records[e.c.ID] = e
}

// storeCitizen writes the record and keeps the commune indexes in step: a
// record that moved from one commune to another leaves the old subset
// (a removal in its log) and joins the new one. A retired duplicate
// (merged) is in no commune's subset: it leaves its own the same way.
func storeCitizen(t *txn, c *registry.Citizen, oldCommune string) {
	prev := t.citizen(c.ID)
	var old *registry.Citizen
	var oldRaw []byte
	if prev == nil {
		t.setCounter(kCitizens, t.counter(kCitizens)+1)
	} else {
		old, oldRaw = &prev.c, prev.raw
		if old.Merged() {
			oldCommune = ""
		}
	}
	t.qualityStored(old, c)
	raw := registry.AppendCitizen(nil, c, true)
	t.replace(bCitizens, []byte(c.ID), oldRaw, raw)
	e := &cachedCitizen{raw: raw, c: *c}
	t.cits[c.ID] = e
	t.remember(e)
	nc := c.Get(registry.FieldCommune)
	if c.Merged() {
		nc = ""
	}
	if nc != oldCommune {
		if oldCommune != "" {
			t.unindex(bByCommune, []byte(oldCommune), []byte(c.ID))
			t.logSubset(oldCommune, c.ID, c.Version, 'r')
		}
		if nc != "" {
			t.index(bByCommune, []byte(nc), []byte(c.ID))
		}
	}
	if nc != "" {
		t.logSubset(nc, c.ID, c.Version, 'u')
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
