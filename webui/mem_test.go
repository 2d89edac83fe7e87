package webui

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// memRegistry is a stateful Registry for flows: Record validates a draft
// the way the node does (registry.PatchFromMap, then Change.Validate) and
// appends it to an outbox, Recent and History list it newest first, settle
// gives a change its outcome. It holds the sample citizen and her son.
type memRegistry struct {
	mu       sync.Mutex
	citizens map[string]*registry.Citizen
	recorded []Recorded
	drafts   []Draft
	searches []SearchQuery
	now      func() time.Time
}

func newMemRegistry(now func() time.Time) *memRegistry {
	m := &memRegistry{citizens: make(map[string]*registry.Citizen), now: now}
	for _, c := range []*registry.Citizen{sampleCitizen(), sampleChild()} {
		m.citizens[c.ID] = c
	}
	return m
}

func (m *memRegistry) fake() *fakeRegistry {
	return &fakeRegistry{
		lookup:    m.lookup,
		search:    m.search,
		household: m.household,
		history:   m.history,
		record:    m.record,
		recent: func(n int) ([]Recorded, error) {
			return m.list(n, func(Recorded) bool { return true }), nil
		},
		status: m.status,
	}
}

func (m *memRegistry) lookup(_, id string) (*registry.Citizen, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.citizens[id]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("citizen %s: %w", id, ErrNotFound)
}

// search follows the SearchQuery contract, simply: words of two letters
// or more begin words of the full name in order; a year of birth within
// two years, or unknown; exact names first, then by ID.
func (m *memRegistry) search(_ string, q SearchQuery) (SearchResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.searches = append(m.searches, q)
	var words []string
	for _, w := range strings.Fields(registry.FoldName(q.Name)) {
		if len(w) >= 2 {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return SearchResult{}, ErrShortName
	}
	var out []Found
	for _, c := range m.citizens {
		name := strings.Fields(registry.FoldName(c.Get(registry.FieldFullName)))
		i := 0
		for _, w := range name {
			if i < len(words) && strings.HasPrefix(w, words[i]) {
				i++
			}
		}
		y := c.BirthDate().Year
		if i < len(words) || (q.Birth.Year != 0 && y != 0 && (y-q.Birth.Year > 2 || q.Birth.Year-y > 2)) {
			continue
		}
		match := MatchPrefix
		if strings.Join(name, " ") == strings.Join(words, " ") {
			match = MatchExact
		}
		out = append(out, Found{Citizen: c, Match: match})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Match != out[j].Match {
			return out[i].Match == MatchExact
		}
		return out[i].Citizen.ID < out[j].Citizen.ID
	})
	res := SearchResult{Found: out, Total: len(out)}
	if len(out) > q.Limit {
		res.Found = out[:q.Limit]
		if q.Birth.Year == 0 {
			res.Found = nil
		}
	}
	return res, nil
}

func (m *memRegistry) household(_, hh string) ([]*registry.Citizen, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*registry.Citizen
	for _, c := range m.citizens {
		if c.Get(registry.FieldHousehold) == hh {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memRegistry) history(_, citizen string, n int) ([]Recorded, error) {
	return m.list(n, func(r Recorded) bool {
		return r.Change.Citizen == citizen || (r.Outcome != nil && r.Outcome.Citizen == citizen)
	}), nil
}

// record does what the node does with a draft: a birth without a citizen
// gets a provisional ID, then the change must pass Validate.
func (m *memRegistry) record(d Draft) (*registry.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	patch, err := registry.PatchFromMap(d.Patch)
	if err != nil {
		return nil, err
	}
	seq := uint64(len(m.recorded) + 1)
	ch := &registry.Change{
		Node: "edge-1", Seq: seq, Officer: d.Officer, Op: d.Op,
		Citizen: d.Citizen, Commune: "31117", Patch: patch, Procedure: d.Procedure, Note: d.Note,
		Time: registry.HLCFromTime(m.now()),
	}
	if d.Op == registry.OpRegisterBirth && d.Citizen == "" {
		ch.Citizen = registry.ProvisionalID(ch.Node, seq)
	}
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	m.drafts = append(m.drafts, d)
	m.recorded = append(m.recorded, Recorded{Change: ch})
	return ch, nil
}

// list returns up to n recorded changes that keep accepts, newest first.
func (m *memRegistry) list(n int, keep func(Recorded) bool) []Recorded {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Recorded
	for i := len(m.recorded) - 1; i >= 0 && len(out) < n; i-- {
		if keep(m.recorded[i]) {
			out = append(out, m.recorded[i])
		}
	}
	return out
}

func (m *memRegistry) status() (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Node: "edge-1", Commune: "31117", CommuneName: "Phường An Cư", HasSubset: true,
		SubsetVersion: 3, SubsetCount: 12345, SubsetExpires: testNow.Add(24 * time.Hour),
		LastSynced: testNow.Add(-5 * time.Minute)}
	for _, r := range m.recorded {
		if r.Outcome == nil {
			st.Pending++
			if st.OldestPending.IsZero() {
				st.OldestPending = r.Change.Time.Time()
			}
		}
	}
	return st, nil
}

// recordedDrafts returns what Record accepted, in order.
func (m *memRegistry) recordedDrafts() []Draft {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Draft(nil), m.drafts...)
}

func (m *memRegistry) settle(changeID string, o registry.Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.recorded {
		if m.recorded[i].Change.ID() == changeID {
			o.Change = changeID
			m.recorded[i].Outcome = &o
		}
	}
}
