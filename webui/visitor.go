package webui

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// Citizens of other communes (DESIGN.md, "Authority"). The local data
// holds the commune's residents only; anyone else is served on the proof
// that their chip is at the desk. The node reads the card, has the chip
// sign the city's challenge, and the city releases the record; offline,
// or for a card without active authentication, the officer works from the
// chip's verified data and the city reviews the change. Either way the
// record lives only in the officer's session, in memory, never in the
// local data: the UI keeps each Visit for the session that read the card,
// until the office's grant ends.

// Where a Visit's record comes from.
const (
	// VisitCity: the city released its record on the chip's signature
	// over its challenge; changes are decided like a resident's.
	VisitCity = "city"
	// VisitChip: only what the chip says, verified by its signature; the
	// city released nothing, and the changes go to its review.
	VisitChip = "chip"
)

// Why a citizen not in the local data cannot be served (Identification.
// VisitProblem).
const (
	// VisitUnverified: the chip's data could not be verified here
	// (passive authentication did not pass), so it backs nothing.
	VisitUnverified = "unverified"
	// VisitRefused: the city did not accept the chip as genuine.
	VisitRefused = "refused"
	// VisitUnknown: the city has no record of the citizen.
	VisitUnknown = "unknown"
)

// visitProblems say each VisitProblem to the officer.
var visitProblems = map[string]string{
	VisitUnverified: "visit.problem.unverified",
	VisitRefused:    "visit.problem.refused",
	VisitUnknown:    "visit.problem.unknown",
}

// Visit is a citizen of another commune whose card was read at this desk.
type Visit struct {
	ID     string
	Source string // VisitCity or VisitChip
	// Record is the city's record (VisitCity), or one made of the chip's
	// verified values (VisitChip, Version 0). Never stored.
	Record *registry.Citizen
	// Commune is the commune of the citizen's permanent residence by the
	// city's record, with its name when known; "" for VisitChip.
	Commune, CommuneName string
	// Review: the changes recorded for the citizen go to city IT's review,
	// because the chip signed no challenge of the city.
	Review bool
	// NoAA: the card has no active authentication (the city said so).
	NoAA bool
	// Offline: the city was out of reach; the proof of presence waits in
	// this box and goes to the city before the changes (Proof is set).
	// Earlier: a proof of an earlier visit of the citizen still waits
	// with its changes, so this visit is recorded the same way.
	Offline, Earlier bool
	// Proof is the node's evidence, opaque to the UI, handed back with
	// every change (Draft.Visit); nil when the city already has it.
	Proof []byte
	Read  time.Time // when the card was read
	Until time.Time // end of the office's grant; zero until the city has the proof
}

// visitOps are the operations the officer may record for a visitor: those
// the authority table lets an office record for a citizen it reaches by a
// proof of presence, in the order the forms are offered. Identification is
// recorded by the read itself.
func visitOps() []registry.Op {
	var out []registry.Op
	for _, f := range opForms {
		a, ok := registry.AuthorityOf(f.op, registry.RoleEdge)
		if ok && (a.Reach == registry.ReachVisitor || a.Reach == registry.ReachArriving) {
			out = append(out, f.op)
		}
	}
	return out
}

// maxVisits bounds the visits kept for all sessions together: an office
// serves a few visitors an hour.
const maxVisits = 500

// visits keeps each session's visitors in memory, by the session's CSRF
// token (unique to the session, and never stored with a visit elsewhere).
type visits struct {
	mu     sync.Mutex
	bySess map[string]map[string]*visitEntry
	n      int
	now    func() time.Time
	max    time.Duration // longest a visit is kept: a session's life
}

type visitEntry struct {
	v       *Visit
	expires time.Time
}

func newVisits(now func() time.Time, max time.Duration) *visits {
	return &visits{bySess: map[string]map[string]*visitEntry{}, now: now, max: max}
}

// put keeps v for the session, until the grant ends or, without one yet,
// as long as a session lives.
func (vs *visits) put(sess string, v *Visit) {
	now := vs.now()
	exp := now.Add(vs.max)
	if !v.Until.IsZero() && v.Until.Before(exp) {
		exp = v.Until
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.sweepLocked(now)
	m := vs.bySess[sess]
	if m == nil {
		m = map[string]*visitEntry{}
		vs.bySess[sess] = m
	}
	if _, ok := m[v.ID]; !ok {
		if vs.n >= maxVisits {
			return // memory bound: the officer taps again later
		}
		vs.n++
	}
	m[v.ID] = &visitEntry{v: v, expires: exp}
}

// get returns the session's visit of citizen id; nil when none is kept.
func (vs *visits) get(sess, id string) *Visit {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	e := vs.bySess[sess][id]
	if e == nil || !vs.now().Before(e.expires) {
		return nil
	}
	return e.v
}

// forget drops a session's visits (logout).
func (vs *visits) forget(sess string) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.n -= len(vs.bySess[sess])
	delete(vs.bySess, sess)
}

func (vs *visits) sweepLocked(now time.Time) {
	for sess, m := range vs.bySess {
		for id, e := range m {
			if !now.Before(e.expires) {
				delete(m, id)
				vs.n--
			}
		}
		if len(m) == 0 {
			delete(vs.bySess, sess)
		}
	}
}

// visitorView is a visit as the pages show it.
type visitorView struct {
	URL, ID  string
	FromCity bool   // the city's record; else the chip's data
	Commune  string // "92102 (Phường Cái Khế)"; "" unknown
	Until    string // end of the grant, as a time of day and date; "" none yet
	Review   bool
	NoAA     bool
	Offline  bool
	Earlier  bool
	Ops      []actionView // the changes the officer may record for them
}

func (s *Server) visitorView(l i18n.Lang, v *Visit) *visitorView {
	vv := &visitorView{URL: "/visitor/" + url.PathEscape(v.ID), ID: v.ID, FromCity: v.Source == VisitCity,
		Review: v.Review, NoAA: v.NoAA, Offline: v.Offline, Earlier: v.Earlier}
	if v.Commune != "" {
		vv.Commune = v.Commune
		if v.CommuneName != "" {
			vv.Commune += " (" + v.CommuneName + ")"
		}
	}
	if !v.Until.IsZero() {
		vv.Until = v.Until.In(s.cfg.Location).Format("15:04 02/01/2006")
	}
	for _, op := range visitOps() {
		vv.Ops = append(vv.Ops, actionView{Label: opLabel(l, op), URL: vv.URL + "/change/" + string(op)})
	}
	return vv
}

// visitorPage is a visitor's record: from the city, or the chip's data,
// said in words, with the changes the officer may record.
type visitorPage struct {
	base
	Name         string
	Visit        *visitorView
	Sections     []sectionView
	History      []changeRow
	HistoryMore  bool
	HistoryError string
}

// visitTarget reads the path's citizen and the visit the session holds of
// them, answering the request itself when there is none: the record of a
// visitor exists only in the session that read the card.
func (s *Server) visitTarget(w http.ResponseWriter, r *http.Request, sess *session) (*Visit, bool) {
	l := langOf(r)
	id, msg := cleanID(l, r.PathValue("id"))
	if msg != "" {
		s.renderError(w, r, sess, http.StatusNotFound, "error.notfound")
		return nil, false
	}
	v := s.visits.get(sess.csrf, id)
	if v == nil {
		s.renderError(w, r, sess, http.StatusNotFound, "visit.gone")
		return nil, false
	}
	return v, true
}

func (s *Server) visitor(w http.ResponseWriter, r *http.Request, sess session) {
	v, ok := s.visitTarget(w, r, &sess)
	if !ok {
		return
	}
	l := langOf(r)
	p := visitorPage{base: s.base(r, &sess, "visit.title", r.URL.Path), Name: v.Record.Get(registry.FieldFullName),
		Visit: s.visitorView(l, v), Sections: recordView(l, v.Record)}
	if v.Source == VisitChip {
		for i := range p.Sections { // the chip's values, not a record: each heading says so
			p.Sections[i].Title = l.T("visit.chipsection", p.Sections[i].Title)
		}
	}
	p.History, p.HistoryMore, p.HistoryError = s.history(l, &sess, v.ID)
	s.renderPage(w, r, http.StatusOK, "visitor", p)
}

// visitForm reads the path's operation for the path's visitor.
func (s *Server) visitForm(w http.ResponseWriter, r *http.Request, sess *session) (*opForm, *Visit, bool) {
	v, ok := s.visitTarget(w, r, sess)
	if !ok {
		return nil, nil, false
	}
	op := registry.Op(r.PathValue("op"))
	f, known := formFor(op)
	if !known || !slices.Contains(visitOps(), op) {
		s.renderError(w, r, sess, http.StatusNotFound, "error.notfound")
		return nil, nil, false
	}
	return f, v, true
}

// visitorChangePage is the form of op for a visitor: the resident's form,
// sent to the visitor's address, with where the record came from.
func (s *Server) visitorChangePage(r *http.Request, sess *session, f *opForm, v *Visit, values map[string]string) changePage {
	p := s.changePage(r, sess, f, v.Record, values)
	vv := s.visitorView(langOf(r), v)
	p.Action, p.ForURL, p.Back = vv.URL+"/change/"+string(f.op), vv.URL, vv.URL
	p.Visit = vv
	return p
}

func (s *Server) visitorChangeForm(w http.ResponseWriter, r *http.Request, sess session) {
	f, v, ok := s.visitForm(w, r, &sess)
	if !ok {
		return
	}
	s.renderPage(w, r, http.StatusOK, "change", s.visitorChangePage(r, &sess, f, v, s.initial(f, nil, nil)))
}

// visitorChangeSubmit records a change for a visitor, with the visit: the
// node sends the proof of presence before it when the city lacks it.
func (s *Server) visitorChangeSubmit(w http.ResponseWriter, r *http.Request, sess session) {
	f, v, ok := s.visitForm(w, r, &sess)
	if !ok {
		return
	}
	s.submit(w, r, &sess, f, nil, v)
}

// movesHere checks a visitor's permanent residence: a citizen of another
// commune registers it here only by moving into this commune (the city
// checks it too). False, with the box's message set, otherwise.
func (s *Server) movesHere(l i18n.Lang, p *changePage, f *opForm, d Draft) bool {
	here := s.commune()
	if f.op != registry.OpRegisterPermanent || d.Patch["commune"] == here {
		return true
	}
	for i := range p.Inputs {
		if p.Inputs[i].Name == "commune" {
			p.setError(i, l.T("visit.movehere", here), "")
		}
	}
	p.Error = l.T("change.fix", p.Problems)
	return false
}
