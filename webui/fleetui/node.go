package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xanode/xanode/webui/i18n"
)

// maxReason bounds a typed reason, in characters: it travels through raft
// and into the history of every replica.
const maxReason = 500

// fact is one line of a details list.
type fact struct {
	Label, Value, Hint string
	Class              string
}

// formState is what a refused form shows again: its error and what was
// typed, so nothing needs typing twice.
type formState struct {
	Error, Detail string
	Reason        string
	Value         string // the communes typed, for the assign form
}

// nodeForms are the states of a node page's forms.
type nodeForms struct {
	Revoke, Reinstate, Assign formState
}

type auditRow struct {
	Seq, Time, Officer, Action, Citizen, Detail string
	Verified                                    bool
}

type auditView struct {
	Status        label
	Rows          []auditRow
	First, Next   string
	Error, Detail string
}

type nodePage struct {
	base
	Node                      *Node
	State                     label
	Problems                  []label
	Facts                     []fact
	Communes                  []link
	Charts                    []chartView
	ChartsError, ChartsDetail string
	Audit                     auditView
	Forms                     nodeForms
	CanRevoke, CanReinstate   bool
	Action                    string // the node's address, prefix of its forms
}

func (s *Server) nodePage(w http.ResponseWriter, r *http.Request, sess []byte) {
	s.renderNode(w, r, sess, r.PathValue("id"), nodeForms{}, http.StatusOK)
}

// findNode fetches the fleet and picks id from it.
func (s *Server) findNode(r *http.Request, id string) (*Node, []Node, error) {
	var nodes []Node
	err := s.call(r, func(ctx context.Context) (err error) {
		nodes, err = s.cfg.Fleet.Nodes(ctx)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range nodes {
		if nodes[i].ID == id {
			return &nodes[i], nodes, nil
		}
	}
	return nil, nodes, nil
}

// renderNode shows a node's page with the given form states; status is the
// answer's when the node is found (422 for a refused form).
func (s *Server) renderNode(w http.ResponseWriter, r *http.Request, sess []byte, id string, forms nodeForms, status int) {
	l := langOf(r)
	n, _, err := s.findNode(r, id)
	if err != nil {
		s.renderCityError(w, r, sess, "Nodes", err)
		return
	}
	if n == nil {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.node.unknown", id), "")
		return
	}
	now := s.cfg.Now()
	self := "/node/" + url.PathEscape(n.ID)
	p := nodePage{
		base:   s.base(r, sess, l.T("fleet.node.title", n.ID), "nodes", self),
		Node:   n,
		State:  stateLabel(l, n.State),
		Forms:  forms,
		Action: self,
		// A revoked node stays revoked; only a suspension can be lifted.
		CanRevoke:    n.State != StateRevoked,
		CanReinstate: n.State == StateSuspended,
	}
	p.Flash = flash(l, r)
	if p.Forms.Assign.Value == "" && p.Forms.Assign.Error == "" {
		p.Forms.Assign.Value = strings.Join(n.Communes, ", ")
	}
	a := assessed{Node: n, problems: s.problems(n, now)}
	for _, pr := range a.problems {
		p.Problems = append(p.Problems, label{problemClass(pr), s.problemText(l, pr, n, now)})
	}
	rw := s.buildRow(l, a, now)
	p.Communes = rw.Communes
	p.Facts = s.nodeFacts(l, n, rw)

	var samples []Sample
	err = s.call(r, func(ctx context.Context) (err error) {
		samples, err = s.cfg.Fleet.NodeSeries(ctx, n.ID)
		return err
	})
	if err != nil {
		s.log.Warn("city call failed", "call", "NodeSeries", "node", n.ID, "err", err)
		p.ChartsError, p.ChartsDetail = s.cityError(l, err)
	} else {
		p.Charts = drawCharts(l, s.cfg.Location, samples)
	}
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	p.Audit = s.auditView(r, l, n.ID, after)
	s.render(w, r, status, "node", p)
}

func (s *Server) nodeFacts(l i18n.Lang, n *Node, rw row) []fact {
	loc := s.cfg.Location
	seen := fact{Label: l.T("fleet.col.seen"), Value: rw.When, Hint: rw.Seen}
	if n.LastSeen.IsZero() {
		seen.Value = l.T("fleet.never")
		seen.Hint = ""
	}
	facts := []fact{
		{Label: l.T("fleet.col.state"), Value: stateLabel(l, n.State).Text, Hint: n.Reason},
		seen,
		{Label: l.T("fleet.fact.enrolled"), Value: formatTime(n.Enrolled, loc)},
		{Label: l.T("fleet.col.software"), Value: n.Software},
		{Label: l.T("fleet.fact.versions"), Value: l.T("fleet.fact.versions.value", count(l, n.SubsetVersion), count(l, n.CityVersion))},
		{Label: l.T("fleet.col.lag"), Value: l.T("fleet.fact.lag.value", rw.Lag), Hint: rw.Synced},
		{Label: l.T("fleet.fact.synced"), Value: formatTime(n.LastSynced, loc)},
		{Label: l.T("fleet.col.outbox"), Value: rw.Outbox, Hint: rw.Oldest},
		{Label: l.T("fleet.col.cert"), Value: rw.Cert, Class: rw.CertClass},
		{Label: l.T("fleet.col.disk"), Value: rw.Disk},
		{Label: l.T("fleet.col.findings"), Value: rw.Findings},
	}
	return facts
}

// auditView fetches one page of the node's audit log and says how far the
// city has verified its chain.
func (s *Server) auditView(r *http.Request, l i18n.Lang, id string, after uint64) auditView {
	var a auditView
	var trail AuditTrail
	err := s.call(r, func(ctx context.Context) (err error) {
		trail, err = s.cfg.Fleet.Audit(ctx, id, after, s.cfg.AuditPage)
		return err
	})
	if err != nil {
		s.log.Warn("city call failed", "call", "Audit", "node", id, "err", err)
		a.Error, a.Detail = s.cityError(l, err)
		return a
	}
	switch {
	case trail.Broken != "" && trail.Verified > 0:
		a.Status = label{"bad", l.T("fleet.audit.broken.after", trail.Broken, count(l, trail.Verified))}
	case trail.Broken != "":
		a.Status = label{"bad", l.T("fleet.audit.broken", trail.Broken)}
	case trail.Verified > 0:
		a.Status = label{"ok", l.T("fleet.audit.verified", count(l, trail.Verified))}
	default:
		a.Status = label{"warn", l.T("fleet.audit.unverified")}
	}
	self := "/node/" + url.PathEscape(id)
	for _, e := range trail.Entries {
		a.Rows = append(a.Rows, auditRow{
			Seq: count(l, e.Seq), Time: formatTime(e.Time, s.cfg.Location), Officer: e.Officer,
			Action: e.Action, Citizen: e.Citizen, Detail: e.Detail, Verified: e.Seq <= trail.Verified,
		})
	}
	if after > 0 {
		a.First = self + "#audit"
	}
	if len(trail.Entries) >= s.cfg.AuditPage {
		a.Next = self + "?after=" + strconv.FormatUint(trail.Entries[len(trail.Entries)-1].Seq, 10) + "#audit"
	}
	return a
}

// reason reads a form's required reason; "" and a key when it is missing
// or too long.
func reason(r *http.Request) (string, string) {
	v := strings.TrimSpace(r.PostForm.Get("reason"))
	switch {
	case v == "":
		return v, "fleet.form.noreason"
	case utf8.RuneCountInString(v) > maxReason:
		return v, "fleet.form.longreason"
	}
	return v, ""
}

// formMessage is the text of a form's error key.
func formMessage(l i18n.Lang, key string) string {
	if key == "fleet.form.longreason" {
		return l.T(key, maxReason)
	}
	return l.T(key)
}

// act runs a change against the city for a form on a node page: refused
// input or a failed call shows the page again with the form's error; a
// success tells the live dashboards and goes back to the page (POST,
// redirect, GET), saying what was done.
func (s *Server) act(w http.ResponseWriter, r *http.Request, sess []byte, form *formState, forms *nodeForms,
	errKey, done string, change func(ctx context.Context) error) {
	l := langOf(r)
	id := r.PathValue("id")
	if errKey != "" {
		form.Error = formMessage(l, errKey)
		s.renderNode(w, r, sess, id, *forms, http.StatusUnprocessableEntity)
		return
	}
	if err := s.call(r, change); err != nil {
		s.log.Warn("city refused a change", "action", done, "node", id, "err", err)
		form.Error, form.Detail = s.cityError(l, err)
		s.renderNode(w, r, sess, id, *forms, http.StatusBadGateway)
		return
	}
	s.log.Info("fleet change", "action", done, "node", id)
	s.kick()
	http.Redirect(w, r, "/node/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// revoke serves POST /node/{id}/revoke: a reason and a ticked confirmation
// are required.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, sess []byte) {
	var forms nodeForms
	why, errKey := reason(r)
	forms.Revoke.Reason = why
	if errKey == "" && r.PostForm.Get("confirm") != "yes" {
		errKey = "fleet.revoke.unconfirmed"
	}
	id := r.PathValue("id")
	s.act(w, r, sess, &forms.Revoke, &forms, errKey, "revoked", func(ctx context.Context) error {
		return s.cfg.Fleet.Revoke(ctx, id, why)
	})
}

// reinstate serves POST /node/{id}/reinstate.
func (s *Server) reinstate(w http.ResponseWriter, r *http.Request, sess []byte) {
	var forms nodeForms
	why, errKey := reason(r)
	forms.Reinstate.Reason = why
	id := r.PathValue("id")
	s.act(w, r, sess, &forms.Reinstate, &forms, errKey, "reinstated", func(ctx context.Context) error {
		return s.cfg.Fleet.Reinstate(ctx, id, why)
	})
}

// assign serves POST /node/{id}/assign: the node's communes, separated by
// commas or spaces, replace the ones it has.
func (s *Server) assign(w http.ResponseWriter, r *http.Request, sess []byte) {
	var forms nodeForms
	typed := strings.TrimSpace(r.PostForm.Get("communes"))
	forms.Assign.Value = typed
	communes, errKey := parseCommunes(typed)
	id := r.PathValue("id")
	s.act(w, r, sess, &forms.Assign, &forms, errKey, "assigned", func(ctx context.Context) error {
		return s.cfg.Fleet.Assign(ctx, id, communes)
	})
}

// parseCommunes reads a list of commune codes, sorted and without repeats.
func parseCommunes(s string) ([]string, string) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return nil, "fleet.assign.empty"
	}
	for _, c := range fields {
		if !validCommune(c) {
			return nil, "fleet.form.commune"
		}
	}
	slices.Sort(fields)
	return slices.Compact(fields), ""
}

// validCommune: the national administrative code of a commune has five
// digits (the city refuses anything else).
func validCommune(c string) bool {
	if len(c) != 5 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// flashes are the actions whose success a page may announce (?done=).
var flashes = []string{"revoked", "reinstated", "assigned", "accepted", "rejected", "finding-confirm", "finding-dismiss", "finding-reopen", "finding-merge"}

func flash(l i18n.Lang, r *http.Request) string {
	if d := r.URL.Query().Get("done"); slices.Contains(flashes, d) {
		return l.T("fleet.done." + d)
	}
	return ""
}

type communePage struct {
	base
	Code                      string
	Nodes                     []row
	Charts                    []chartView
	ChartsError, ChartsDetail string
	NodesError, NodesDetail   string
}

// communePage serves GET /commune/{code}: the commune's charts and the
// nodes that serve it.
func (s *Server) communePage(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	code := r.PathValue("code")
	if !validCommune(code) {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.commune.invalid", code), "")
		return
	}
	p := communePage{base: s.base(r, sess, l.T("fleet.commune.title", code), "nodes", ""), Code: code}
	var samples []Sample
	err := s.call(r, func(ctx context.Context) (err error) {
		samples, err = s.cfg.Fleet.CommuneSeries(ctx, code)
		return err
	})
	if err != nil {
		s.log.Warn("city call failed", "call", "CommuneSeries", "commune", code, "err", err)
		p.ChartsError, p.ChartsDetail = s.cityError(l, err)
	} else {
		p.Charts = drawCharts(l, s.cfg.Location, samples)
	}
	var nodes []Node
	err = s.call(r, func(ctx context.Context) (err error) {
		nodes, err = s.cfg.Fleet.Nodes(ctx)
		return err
	})
	if err != nil {
		p.NodesError, p.NodesDetail = s.cityError(l, err)
	}
	now := s.cfg.Now()
	for _, a := range s.arrange(nodes, view{Sort: columns[0].key}, now) {
		if slices.Contains(a.Communes, code) {
			p.Nodes = append(p.Nodes, s.buildRow(l, a, now))
		}
	}
	s.render(w, r, http.StatusOK, "commune", p)
}
