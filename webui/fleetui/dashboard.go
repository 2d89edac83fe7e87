package fleetui

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// problem is something about a node that city IT should look at. The
// order is the order of urgency: the dashboard lists a node by its most
// urgent problem first.
type problem int

const (
	probRevoked problem = iota
	probSuspended
	probFlagged
	probCertExpired
	probCert
	probOutbox
	probDisk
	probLag
	probTrust
	probNeverSeen
	numProblems // also the rank of a node without problems
)

// problems assesses n at now: its problems in order of urgency. A revoked
// node has no other: nothing else about it can be fixed.
func (s *Server) problems(n *Node, now time.Time) []problem {
	if n.State == StateRevoked {
		return []problem{probRevoked}
	}
	var ps []problem
	switch n.State {
	case StateSuspended:
		ps = append(ps, probSuspended)
	case StateFlagged:
		ps = append(ps, probFlagged)
	}
	switch {
	case n.CertExpiry.IsZero():
	case !now.Before(n.CertExpiry):
		ps = append(ps, probCertExpired)
	case n.CertExpiry.Sub(now) < s.cfg.CertWarn:
		ps = append(ps, probCert)
	}
	if n.Outbox > 0 && !n.OldestUnsynced.IsZero() && now.Sub(n.OldestUnsynced) > s.cfg.OutboxWarn {
		ps = append(ps, probOutbox)
	}
	if n.LastSeen.IsZero() {
		return append(ps, probNeverSeen)
	}
	if n.DiskFree < s.cfg.DiskWarn {
		ps = append(ps, probDisk)
	}
	if n.Lag() > 0 && (n.LastSynced.IsZero() || now.Sub(n.LastSynced) > s.cfg.LagWarn) {
		ps = append(ps, probLag)
	}
	if n.TrustLags() {
		ps = append(ps, probTrust)
	}
	return ps
}

// problemText says what problem p of n is, with the figures that matter.
func (s *Server) problemText(l i18n.Lang, p problem, n *Node, now time.Time) string {
	switch p {
	case probRevoked:
		return l.T("fleet.problem.revoked")
	case probSuspended:
		return l.T("fleet.problem.suspended")
	case probFlagged:
		return l.T("fleet.problem.flagged", age(l, now.Sub(n.LastSeen)))
	case probCertExpired:
		return l.T("fleet.problem.certexpired")
	case probCert:
		return l.T("fleet.problem.cert", age(l, n.CertExpiry.Sub(now)))
	case probOutbox:
		return l.T("fleet.problem.outbox", l.Int(int64(n.Outbox)), age(l, now.Sub(n.OldestUnsynced)))
	case probDisk:
		return l.T("fleet.problem.disk", size(l, n.DiskFree))
	case probLag:
		if n.LastSynced.IsZero() {
			return l.T("fleet.problem.lag.never", count(l, n.Lag()))
		}
		return l.T("fleet.problem.lag", count(l, n.Lag()), age(l, now.Sub(n.LastSynced)))
	case probTrust:
		return l.T("fleet.problem.trust", count(l, n.TrustVersion), count(l, n.CityTrustVersion))
	}
	return l.T("fleet.problem.neverseen")
}

// problemClass is a problem's severity, as a CSS class: "bad" stops the
// node from working, "warn" will if nobody acts.
func problemClass(p problem) string {
	switch p {
	case probRevoked, probSuspended, probFlagged, probCertExpired:
		return "bad"
	}
	return "warn"
}

// assessed is a node with its problems, what the table sorts.
type assessed struct {
	*Node
	problems []problem
}

func (a assessed) rank() problem {
	if len(a.problems) == 0 {
		return numProblems
	}
	return a.problems[0]
}

// stateOrder sorts states by urgency, as the problem order does.
var stateOrder = map[string]int{StateRevoked: 0, StateSuspended: 1, StateFlagged: 2, StateActive: 3}

func timeCmp(a, b time.Time) int { return a.Compare(b) }

// column is one sortable column of the node table.
type column struct {
	key   string
	label string // catalog key
	desc  bool   // first click sorts descending: the big numbers are the interesting ones
	cmp   func(a, b assessed) int
}

// columns are the table's columns, in order. The first is the default sort.
var columns = []column{
	{"problem", "fleet.col.problem", false, func(a, b assessed) int {
		return cmp.Or(cmp.Compare(a.rank(), b.rank()), cmp.Compare(len(b.problems), len(a.problems)))
	}},
	{"node", "fleet.col.node", false, func(a, b assessed) int { return strings.Compare(a.ID, b.ID) }},
	{"communes", "fleet.col.communes", false, func(a, b assessed) int {
		return slices.Compare(a.Communes, b.Communes)
	}},
	{"state", "fleet.col.state", false, func(a, b assessed) int {
		return cmp.Compare(stateRank(a.State), stateRank(b.State))
	}},
	{"seen", "fleet.col.seen", false, func(a, b assessed) int { return timeCmp(a.LastSeen, b.LastSeen) }},
	{"lag", "fleet.col.lag", true, func(a, b assessed) int {
		return cmp.Or(cmp.Compare(a.Lag(), b.Lag()), timeCmp(b.LastSynced, a.LastSynced))
	}},
	{"outbox", "fleet.col.outbox", true, func(a, b assessed) int {
		return cmp.Or(cmp.Compare(a.Outbox, b.Outbox), timeCmp(b.OldestUnsynced, a.OldestUnsynced))
	}},
	{"cert", "fleet.col.cert", false, func(a, b assessed) int { return timeCmp(a.CertExpiry, b.CertExpiry) }},
	{"disk", "fleet.col.disk", false, func(a, b assessed) int { return cmp.Compare(a.DiskFree, b.DiskFree) }},
	{"software", "fleet.col.software", false, func(a, b assessed) int { return strings.Compare(a.Software, b.Software) }},
	{"findings", "fleet.col.findings", true, func(a, b assessed) int { return cmp.Compare(a.Findings, b.Findings) }},
}

func stateRank(s string) int {
	if r, ok := stateOrder[s]; ok {
		return r
	}
	return len(stateOrder)
}

func columnOf(key string) (column, bool) {
	for _, c := range columns {
		if c.key == key {
			return c, true
		}
	}
	return column{}, false
}

// The state filter's choices beyond the states themselves.
const (
	filterAll      = ""
	filterProblems = "problems"
)

var stateFilters = []string{filterAll, filterProblems, StateActive, StateFlagged, StateSuspended, StateRevoked}

// view is what the dashboard shows: sort and filter, from the query string
// of the page (and of its websocket), so that it works without script and
// survives a reload.
type view struct {
	Sort  string
	Desc  bool
	Q     string
	State string
}

func parseView(q url.Values) view {
	v := view{Sort: columns[0].key, Q: strings.TrimSpace(q.Get("q"))}
	if len(v.Q) > 100 {
		v.Q = v.Q[:100]
	}
	if c, ok := columnOf(q.Get("sort")); ok {
		v.Sort, v.Desc = c.key, c.desc
	}
	switch q.Get("dir") {
	case "asc":
		v.Desc = false
	case "desc":
		v.Desc = true
	}
	if slices.Contains(stateFilters, q.Get("state")) {
		v.State = q.Get("state")
	}
	return v
}

// query is v as a query string, with defaults left out.
func (v view) query() string {
	q := url.Values{}
	if v.Q != "" {
		q.Set("q", v.Q)
	}
	if v.State != "" {
		q.Set("state", v.State)
	}
	if v.Sort != columns[0].key || v.Desc {
		q.Set("sort", v.Sort)
		q.Set("dir", map[bool]string{false: "asc", true: "desc"}[v.Desc])
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// match reports whether a passes v's filters: the text is a part of the
// node ID or of one of its communes, ignoring case.
func (v view) match(a assessed) bool {
	switch v.State {
	case filterAll:
	case filterProblems:
		if len(a.problems) == 0 {
			return false
		}
	default:
		if a.State != v.State {
			return false
		}
	}
	if v.Q == "" {
		return true
	}
	q := strings.ToLower(v.Q)
	if strings.Contains(strings.ToLower(a.ID), q) {
		return true
	}
	return slices.ContainsFunc(a.Communes, func(c string) bool { return strings.Contains(strings.ToLower(c), q) })
}

// arrange assesses, filters and sorts nodes for v. Ties go by node ID, so
// that the order is stable from one refresh to the next.
func (s *Server) arrange(nodes []Node, v view, now time.Time) []assessed {
	c, _ := columnOf(v.Sort)
	out := make([]assessed, 0, len(nodes))
	for i := range nodes {
		a := assessed{Node: &nodes[i], problems: s.problems(&nodes[i], now)}
		if v.match(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b assessed) int {
		r := c.cmp(a, b)
		if v.Desc {
			r = -r
		}
		return cmp.Or(r, strings.Compare(a.ID, b.ID))
	})
	return out
}

// Table view models.

type columnHead struct {
	Label, URL string
	Sort       string // aria-sort: "ascending", "descending" or ""
}

type link struct{ Text, URL string }

type label struct{ Class, Text string }

type row struct {
	ID, URL    string
	Communes   []link
	State      label
	Reason     string
	Problems   []label
	Seen, When string // LastSeen as an age, and as a time (tooltip)
	Lag        string
	Synced     string
	Outbox     string
	Oldest     string
	Cert       string
	CertClass  string
	Disk       string
	Software   string
	Findings   string
}

type stateCount struct {
	Label, URL string
	N          string
	Current    bool
}

// table is the dashboard's live part: what the websocket re-sends.
type table struct {
	Heads    []columnHead
	Rows     []row
	Counts   []stateCount
	Shown    string // "12 of 200 nodes"
	Error    string // the last refresh failed: what to check
	Detail   string
	Stale    string // when the rows shown were fetched, if the last refresh failed
	Filtered bool
	Trust    *trustPanel // the CSCA trust set; nil when the fleet has none to show
}

func stateLabel(l i18n.Lang, state string) label {
	switch state {
	case StateActive, StateFlagged, StateSuspended, StateRevoked:
		return label{state, l.T("fleet.state." + state)}
	}
	return label{"unknown", state}
}

// buildTable makes the live part for nodes as seen at now.
func (s *Server) buildTable(l i18n.Lang, nodes []Node, v view, now time.Time) table {
	var t table
	for _, c := range columns {
		nv := v
		nv.Sort, nv.Desc = c.key, c.desc
		h := columnHead{Label: l.T(c.label)}
		if v.Sort == c.key {
			nv.Desc = !v.Desc
			h.Sort = map[bool]string{false: "ascending", true: "descending"}[v.Desc]
		}
		h.URL = "/" + nv.query()
		t.Heads = append(t.Heads, h)
	}
	all := s.arrange(nodes, view{Sort: v.Sort}, now)
	for _, f := range stateFilters {
		fv := v
		fv.State = f
		n := 0
		for _, a := range all {
			if fv.match(a) {
				n++
			}
		}
		name := "fleet.filter.all"
		if f != filterAll {
			name = "fleet.filter." + f
		}
		t.Counts = append(t.Counts, stateCount{Label: l.T(name), URL: "/" + fv.query(), N: l.Int(int64(n)), Current: f == v.State})
	}
	shown := s.arrange(nodes, v, now)
	t.Filtered = v.Q != "" || v.State != ""
	t.Shown = l.T("fleet.shown", l.Int(int64(len(shown))), l.Int(int64(len(nodes))))
	t.Rows = make([]row, 0, len(shown))
	for _, a := range shown {
		t.Rows = append(t.Rows, s.buildRow(l, a, now))
	}
	return t
}

func (s *Server) buildRow(l i18n.Lang, a assessed, now time.Time) row {
	n := a.Node
	r := row{
		ID: n.ID, URL: "/node/" + url.PathEscape(n.ID), State: stateLabel(l, n.State), Reason: n.Reason,
		Seen: ago(l, now, n.LastSeen), When: formatTime(n.LastSeen, s.cfg.Location),
		Lag: count(l, n.Lag()), Software: n.Software, Findings: count(l, n.Findings),
		Outbox: l.Int(int64(n.Outbox)), Cert: formatTime(n.CertExpiry, s.cfg.Location),
	}
	for _, c := range n.Communes {
		r.Communes = append(r.Communes, link{c, "/commune/" + url.PathEscape(c)})
	}
	for _, p := range a.problems {
		r.Problems = append(r.Problems, label{problemClass(p), s.problemText(l, p, n, now)})
		switch p {
		case probCertExpired:
			r.CertClass = "bad"
		case probCert:
			r.CertClass = "warn"
		}
	}
	if n.LastSeen.IsZero() {
		r.Seen = l.T("fleet.never")
		return r
	}
	r.Disk = size(l, n.DiskFree)
	if n.LastSynced.IsZero() {
		r.Synced = l.T("fleet.synced.never")
	} else {
		r.Synced = l.T("fleet.synced", age(l, now.Sub(n.LastSynced)))
	}
	if n.Outbox > 0 && !n.OldestUnsynced.IsZero() {
		r.Oldest = l.T("fleet.oldest", age(l, now.Sub(n.OldestUnsynced)))
	}
	return r
}

type dashboardPage struct {
	base
	View    view
	Filters []label // Class: the value, Text: its label
	Live    table
	WSQuery string
	Legend  string
}

// dashboard serves GET /: the node table, problems first.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	v := parseView(r.URL.Query())
	var nodes []Node
	var trust *TrustSet
	err := s.call(r, func(ctx context.Context) (err error) {
		if nodes, err = s.cfg.Fleet.Nodes(ctx); err == nil {
			trust = s.fetchTrust(ctx)
		}
		return err
	})
	now := s.cfg.Now()
	p := dashboardPage{base: s.base(r, sess, l.T("fleet.nodes.title"), "nodes", "/"), View: v, WSQuery: v.query()}
	p.base.Live = true
	p.Flash = flash(l, r)
	for _, f := range stateFilters {
		name := "fleet.filter.all"
		if f != filterAll {
			name = "fleet.filter." + f
		}
		p.Filters = append(p.Filters, label{f, l.T(name)})
	}
	if s.cfg.FlagAfter > 0 {
		p.Legend = l.T("fleet.legend.flag", age(l, s.cfg.FlagAfter))
	}
	status := http.StatusOK
	if err != nil {
		s.log.Warn("city call failed", "call", "Nodes", "err", err)
		status = http.StatusBadGateway
		p.Live = s.buildTable(l, nil, v, now)
		p.Live.Error, p.Live.Detail = s.cityError(l, err)
	} else {
		p.Live = s.buildTable(l, nodes, v, now)
		p.Live.Trust = s.buildTrust(l, trust, now)
	}
	s.render(w, r, status, "dashboard", p)
}
