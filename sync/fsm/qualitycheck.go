package fsm

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// beginQuality starts the quality bookkeeping of a command: its index and
// time are those of every finding it makes or closes, and a new week
// first keeps the week that ended.
func (f *FSM) beginQuality(t *txn, index uint64, received time.Time) {
	q := t.quality()
	q.entry, q.when = index, received
	t.closeWeek(received)
}

// checkQuality re-checks what the command touched, if the rules are on:
// the reads it carried, the records it stored and the children naming
// them, their households, their duplicate candidates and their chip
// findings. The order is fixed (sorted IDs), so replicas agree.
func (f *FSM) checkQuality(t *txn) {
	q := t.q
	if q == nil || (len(q.touched) == 0 && len(q.households) == 0 && len(q.reads) == 0) {
		return
	}
	defer func() { q.touched, q.households, q.reads, q.cache = map[string]bool{}, map[string]bool{}, nil, nil }()
	if !t.qualityOn() {
		return
	}
	q.cache = map[string]*registry.Citizen{}
	asOf := quality.DateOf(q.when)
	for _, c := range q.reads {
		f.checkRead(t, c)
	}
	ids := sortedKeys(q.touched)
	done := map[string]bool{}
	for _, id := range ids {
		f.recheckRecord(t, id, asOf, done)
		for _, child := range t.members(bQChildren, id, 0) {
			f.recheckRecord(t, child, asOf, done)
		}
	}
	for _, hh := range sortedKeys(q.households) {
		f.recheckHousehold(t, hh)
	}
	for _, id := range ids {
		f.recheckPairs(t, id)
		f.recheckChips(t, id)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recheckRecord runs the record rules on one citizen: what they find is
// upserted, their earlier findings they no longer make are fixed.
func (f *FSM) recheckRecord(t *txn, id string, asOf registry.Date, done map[string]bool) {
	if done[id] {
		return
	}
	done[id] = true
	c := t.cit(id)
	found := map[string]bool{}
	if c != nil {
		for _, qf := range f.checker.Record(c, asOf, records{t}) {
			found[qf.Key()] = true
			t.upsert(qf, source{node: FoundByRules}, "")
		}
	}
	for _, old := range t.findingsOf(id) {
		if old.Citizen == id && slices.Contains(quality.RecordRules, old.Rule) && !found[old.Key] {
			t.fix(old)
		}
	}
}

// recheckHousehold runs the household rule on one household.
func (f *FSM) recheckHousehold(t *txn, hh string) {
	var members []*registry.Citizen
	for _, id := range t.members(bQHouseholds, hh, 0) {
		if c := t.cit(id); c != nil {
			members = append(members, c)
		}
	}
	if qf := f.checker.Household(hh, members); qf != nil {
		t.upsert(*qf, source{node: FoundByRules}, "")
		return
	}
	t.fix(t.findingByKey(string(quality.RuleHouseholdHead) + "|" + hh))
}

// recheckPairs scores a citizen against their duplicate candidates and
// against every record an earlier duplicate finding pairs them with.
func (f *FSM) recheckPairs(t *txn, id string) {
	c := t.cit(id)
	if c == nil {
		return
	}
	others := f.checker.Candidates(c, func(key string, limit int) []string { return t.members(bQBlocks, key, limit) })
	for _, old := range t.findingsOf(id) {
		if old.Rule == quality.RuleDuplicate {
			other := old.Other
			if other == id {
				other = old.Citizen
			}
			if !slices.Contains(others, other) {
				others = append(others, other)
			}
		}
	}
	for _, other := range others {
		o := t.cit(other)
		if o == nil {
			continue
		}
		if qf := f.checker.Pair(c, o); qf != nil {
			t.upsert(*qf, source{node: FoundByRules}, "")
			continue
		}
		a, b := min(id, other), max(id, other)
		t.fix(t.findingByKey(string(quality.RuleDuplicate) + "|" + a + "|" + b))
	}
}

// recheckChips fixes the chip findings whose field the record now states
// as the card did.
func (f *FSM) recheckChips(t *txn, id string) {
	c := t.cit(id)
	if c == nil {
		return
	}
	for _, old := range t.findingsOf(id) {
		if old.Rule != quality.RuleChipMismatch || old.Closed() || len(old.Fields) != 1 {
			continue
		}
		fld, ok := registry.FieldByName(old.Fields[0])
		if ok && len(f.checker.Read(c, quality.Read{Citizen: id, Fields: map[registry.Field]string{fld: old.Chip}})) == 0 {
			t.fix(old)
		}
	}
}

// checkRead turns an identification's differences into chip findings,
// field by field, compared with the record as the city holds it.
func (f *FSM) checkRead(t *txn, c *registry.Change) {
	read, ok := quality.ParseIdentification(c.Note)
	rec := t.cit(c.Citizen)
	if !ok || rec == nil {
		return
	}
	read.Citizen = c.Citizen
	for _, qf := range f.checker.Read(rec, read) {
		t.upsert(qf, source{node: c.Node, read: c.ID()}, read.Fields[qf.Fields[0]])
	}
}

// applySweep turns the rules on (the first sweep) and marks a range of
// citizens for the re-check that follows the command; the entry that
// reaches the last citizen notes when the sweep went round.
func (f *FSM) applySweep(t *txn, op *SweepOp, received time.Time) *SweepResult {
	if !t.qualityOn() {
		if err := t.tx.Bucket(bMeta).Put(kQualityOn, []byte{1}); err != nil {
			panic(fmt.Sprintf("fsm: bbolt meta: %v", err))
		}
	}
	q := t.quality()
	res := &SweepResult{}
	c := t.tx.Bucket(bCitizens).Cursor()
	k, _ := c.Seek([]byte(op.From))
	if k != nil && string(k) == op.From {
		k, _ = c.Next()
	}
	for ; k != nil && res.Checked < op.Limit; k, _ = c.Next() {
		q.touched[string(k)] = true
		res.Checked++
		res.Next = string(k)
	}
	if k == nil {
		res.Next = ""
		t.setCounter(kQualitySwept, uint64(received.UnixMilli()))
	}
	for id := range q.touched {
		if cit := loadCitizen(t, id); cit != nil && cit.Get(registry.FieldHousehold) != "" {
			q.households[cit.Get(registry.FieldHousehold)] = true
		}
	}
	return res
}

// applyReview applies city IT's decision on a finding.
func (f *FSM) applyReview(t *txn, index uint64, cmd *Command) any {
	op := cmd.Finding
	old := t.finding(op.ID)
	if old == nil {
		return fmt.Errorf("%w: finding %d", ErrNotFound, op.ID)
	}
	if op.Action == ReviewMerge {
		return f.merge(t, index, cmd, old)
	}
	var state string
	switch {
	case op.Action == ReviewConfirm && old.State == FindingOpen:
		state = FindingConfirmed
	case op.Action == ReviewDismiss && old.State != FindingDismissed:
		state = FindingDismissed
	case op.Action == ReviewReopen && old.Closed():
		state = FindingOpen
	default:
		return fmt.Errorf("fsm: finding %d is %s: cannot %s it", op.ID, old.State, op.Action)
	}
	next := *old
	next.History = slices.Clone(old.History)
	next.moveTo(state, "admin "+op.By, op.Reason, cmd.Received, index)
	t.putFinding(old, &next)
	return &next
}

// resolveFinding decides an office's resolution of a finding
// (registry.OpFindingResolve): the change must name a finding about its
// citizen, still open or confirmed. The reach and the officer were
// checked before, as for every change.
func (f *FSM) resolveFinding(t *txn, c *registry.Change, o *registry.Outcome) {
	id, _ := registry.ParseFindingRef(c.Procedure)
	resolution, text, _ := registry.ParseFindingNote(c.Note)
	old := t.finding(id)
	switch {
	case old == nil || (old.Citizen != c.Citizen && old.Other != c.Citizen):
		reject(o, fmt.Sprintf("finding %s is not about citizen %s", c.Procedure, c.Citizen))
		return
	case old.Closed():
		o.Result, o.Reason = registry.Superseded, fmt.Sprintf("finding %s was already %s by %s", c.Procedure, old.State, old.By)
		return
	}
	state := FindingFixed
	if resolution == registry.ResolutionDismissed {
		state = FindingDismissed
	}
	next := *old
	next.History = slices.Clone(old.History)
	next.moveTo(state, "officer "+c.Officer+" at "+c.Node, text, c.Time.Time(), o.Index)
	t.putFinding(old, &next)
	o.Result = registry.Applied
}

// Figures are a commune's data-quality figures: how complete its records
// are, field by field, and how many findings each rule has in each state.
type Figures struct {
	Commune  string                    `json:"commune"`
	Citizens int                       `json:"citizens"`          // records of the commune
	Alive    int                       `json:"alive"`             // of which alive
	Fields   map[string]int            `json:"fields"`            // field → records stating it
	Findings map[string]map[string]int `json:"findings"`          // rule → state → findings
	Week     string                    `json:"week,omitempty"`    // a weekly row: the Monday its week began
	Applied  uint64                    `json:"applied,omitempty"` // the entry they reflect (reads only)
}

func newFigures(commune string) *Figures {
	return &Figures{Commune: commune, Fields: map[string]int{}, Findings: map[string]map[string]int{}}
}

// figures returns the commune's figures, loaded once per batch.
func (t *txn) figures(commune string) *Figures {
	q := t.quality()
	if fg, ok := q.figures[commune]; ok {
		return fg
	}
	fg := newFigures(commune)
	if v := t.get(bQFigures, []byte(commune)); v != nil {
		if err := json.Unmarshal(v, fg); err != nil {
			panic(fmt.Sprintf("fsm: quality figures of %q: %v", commune, err))
		}
	}
	q.figures[commune] = fg
	return fg
}

// count adds (sign 1) or removes (-1) a record's part in the figures.
func (fg *Figures) count(c *registry.Citizen, sign int) {
	if c.Merged() {
		return // a retired duplicate is counted as the record it was merged into
	}
	fg.Citizens += sign
	if !c.Deceased() {
		fg.Alive += sign
	}
	for fld := registry.Field(1); int(fld) < registry.NumFields; fld++ {
		if c.Values[fld] != "" {
			fg.Fields[fld.String()] += sign
			if fg.Fields[fld.String()] == 0 {
				delete(fg.Fields, fld.String())
			}
		}
	}
}

// finding adds or removes a finding's part in the figures.
func (fg *Figures) finding(f *Finding, sign int) {
	rule := string(f.Rule)
	if fg.Findings[rule] == nil {
		fg.Findings[rule] = map[string]int{}
	}
	fg.Findings[rule][f.State] += sign
	if fg.Findings[rule][f.State] == 0 {
		delete(fg.Findings[rule], f.State)
	}
	if len(fg.Findings[rule]) == 0 {
		delete(fg.Findings, rule)
	}
}

// flushFigures writes the figures a batch changed.
func (t *txn) flushFigures() {
	if t.q == nil {
		return
	}
	for _, commune := range sortedFigures(t.q.figures) {
		v, err := json.Marshal(t.q.figures[commune])
		if err == nil {
			err = t.tx.Bucket(bQFigures).Put([]byte(commune), v)
		}
		if err != nil {
			panic(fmt.Sprintf("fsm: quality figures: %v", err))
		}
	}
	t.q.figures = map[string]*Figures{}
}

func sortedFigures(m map[string]*Figures) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// weekOf is the Monday that begins the week of an entry's day in Vietnam.
func weekOf(t time.Time) string {
	d := quality.DateOf(t)
	day := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)).Format(time.DateOnly)
}

// closeWeek keeps every commune's figures as they stand at the end of a
// week, once an entry of a later week arrives.
func (t *txn) closeWeek(received time.Time) {
	week := weekOf(received)
	last := string(t.get(bMeta, kQualityWeek))
	if last == week || (last != "" && week < last) {
		return
	}
	if last != "" {
		t.flushFigures()
		c := t.tx.Bucket(bQFigures).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := t.tx.Bucket(bQWeekly).Put(keyed(last, string(k)), v); err != nil {
				panic(fmt.Sprintf("fsm: quality week: %v", err))
			}
		}
	}
	if err := t.tx.Bucket(bMeta).Put(kQualityWeek, []byte(week)); err != nil {
		panic(fmt.Sprintf("fsm: bbolt meta: %v", err))
	}
}

// buildSpouseIndex fills the spouse index from the records, once, for a
// state written before it existed; buildQualityIndex, which stores every
// record again, fills it too.
func buildSpouseIndex(t *txn) {
	if t.get(bMeta, kSpouseIndex) != nil {
		return
	}
	b := t.tx.Bucket(bQSpouses)
	c := t.tx.Bucket(bCitizens).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		cit, _, err := registry.DecodeCitizen(v)
		if err != nil {
			panic(fmt.Sprintf("fsm: stored citizen %s: %v", k, err))
		}
		if s := cit.Get(registry.FieldSpouseID); s != "" {
			if err := b.Put(keyed(s, cit.ID), nil); err != nil {
				panic(fmt.Sprintf("fsm: spouse index: %v", err))
			}
		}
	}
	if err := t.tx.Bucket(bMeta).Put(kSpouseIndex, []byte{1}); err != nil {
		panic(fmt.Sprintf("fsm: bbolt meta: %v", err))
	}
}

// buildQualityIndex fills the derived buckets from the records, once, for a
// state written before they existed (or by another layout of them).
func buildQualityIndex(t *txn) {
	if string(t.get(bMeta, kQualityIndex)) == qualityIndexVersion {
		return
	}
	for _, b := range [][]byte{bQBlocks, bQHouseholds, bQChildren, bQSpouses, bQFigures} {
		if err := t.tx.DeleteBucket(b); err != nil {
			panic(fmt.Sprintf("fsm: quality index: %v", err))
		}
		if _, err := t.tx.CreateBucket(b); err != nil {
			panic(fmt.Sprintf("fsm: quality index: %v", err))
		}
	}
	c := t.tx.Bucket(bCitizens).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		cit, _, err := registry.DecodeCitizen(v)
		if err != nil {
			panic(fmt.Sprintf("fsm: stored citizen %s: %v", k, err))
		}
		t.qualityStored(nil, cit)
	}
	fc := t.tx.Bucket(bFindings).Cursor()
	for k, v := fc.First(); k != nil; k, v = fc.Next() {
		var f Finding
		if err := json.Unmarshal(v, &f); err != nil {
			panic(fmt.Sprintf("fsm: stored finding %x: %v", k, err))
		}
		t.figures(f.Commune).finding(&f, 1)
	}
	t.flushFigures()
	t.flushIndexes()
	t.q = nil // nothing to re-check: the records were only indexed
	if err := t.tx.Bucket(bMeta).Put(kQualityIndex, []byte(qualityIndexVersion)); err != nil {
		panic(fmt.Sprintf("fsm: bbolt meta: %v", err))
	}
}
