package webui

import (
	"net/http"
	"net/url"
	"sort"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

type outboxPage struct {
	base
	Flash string
	live
}

// live is the part of the outbox page that its script re-fetches on an
// event (GET /outbox/live): the sync status and the list.
type live struct {
	Sync      syncView
	Rows      []changeRow
	ListError string
}

type syncView struct {
	Unavailable bool
	Node        string
	Commune     string
	HasSubset   bool
	Subset      string
	Stale       bool
	Pending     string
	Oldest      string // age of the oldest waiting change
	LastSynced  string
	LastError   string
}

type changeRow struct {
	ID, When, Op, Citizen, CitizenURL, Officer, Procedure string
	Patch                                                 []fieldRow
	State                                                 outcomeView
	Highlight                                             bool
}

// outcomeView is a change's state in words. Class picks the badge's look.
type outcomeView struct {
	Class   string
	Text    string
	Details []string
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	b := s.base(r, &sess, "outbox.title", "/outbox")
	b.Nav = "outbox"
	b.Live = "/outbox/live"
	page := outboxPage{base: b, live: s.live(r)}
	for _, row := range page.Rows {
		if row.Highlight {
			page.Flash = l.T("outbox.recorded", row.ID)
		}
	}
	s.renderPage(w, r, http.StatusOK, "outbox", page)
}

func (s *Server) outboxLive(w http.ResponseWriter, r *http.Request, _ session) {
	s.render(w, r, http.StatusOK, "outbox", "live", s.live(r))
}

func (s *Server) live(r *http.Request) live {
	l := langOf(r)
	var v live
	v.Sync = s.syncView(l)
	recent, err := s.cfg.Registry.Recent(s.cfg.RecentChanges)
	if err != nil {
		s.log.Error("recent changes unavailable", "err", err)
		v.ListError = l.T("outbox.unavailable")
	}
	// ?recorded= marks the change just recorded. Only a change that is in
	// the list is marked, so the address cannot put arbitrary words on the
	// page; the script passes it on when it re-fetches.
	recorded := r.URL.Query().Get("recorded")
	for _, rc := range recent {
		if rc.Change != nil {
			row := s.changeRow(l, rc)
			row.Highlight = recorded != "" && row.ID == recorded
			v.Rows = append(v.Rows, row)
		}
	}
	return v
}

func (s *Server) syncView(l i18n.Lang) syncView {
	st, err := s.cfg.Registry.Status()
	if err != nil {
		s.log.Error("status unavailable", "err", err)
		return syncView{Unavailable: true}
	}
	now := s.cfg.Now()
	v := syncView{
		Node: st.Node, Commune: st.Commune, HasSubset: st.HasSubset, Stale: st.Stale,
		Pending: l.Int(int64(st.Pending)), LastError: st.LastError,
	}
	if st.CommuneName != "" {
		v.Commune = st.CommuneName + " (" + st.Commune + ")"
	}
	if st.HasSubset {
		v.Subset = l.T("sync.subset", l.Int(int64(st.SubsetVersion)), l.Int(int64(st.SubsetCount)),
			s.formatTime(st.SubsetExpires))
	}
	if st.Pending > 0 && !st.OldestPending.IsZero() {
		v.Oldest = age(l, now.Sub(st.OldestPending))
	}
	if st.LastSynced.IsZero() {
		v.LastSynced = l.T("sync.never")
	} else {
		v.LastSynced = l.T("sync.ago", s.formatTime(st.LastSynced), age(l, now.Sub(st.LastSynced)))
	}
	return v
}

func (s *Server) changeRow(l i18n.Lang, rc Recorded) changeRow {
	c := rc.Change
	row := changeRow{
		ID:        c.ID(),
		When:      s.formatTime(c.Time.Time()),
		Op:        opLabel(l, c.Op),
		Citizen:   c.Citizen,
		Officer:   c.Officer,
		Procedure: c.Procedure,
		State:     s.outcomeView(l, c, rc.Outcome),
	}
	if _, err := registry.ParseID(c.Citizen); err == nil {
		row.CitizenURL = "/citizen/" + url.PathEscape(c.Citizen)
	}
	for _, fv := range c.Patch {
		name := fv.Field.String()
		row.Patch = append(row.Patch, fieldRow{fieldLabel(l, name), displayValue(l, name, fv.Value)})
	}
	return row
}

func opLabel(l i18n.Lang, op registry.Op) string {
	if op.Known() {
		return l.T("op." + string(op))
	}
	return string(op)
}

func resultLabel(l i18n.Lang, r registry.Result) string {
	switch r {
	case registry.Applied, registry.Merged, registry.Superseded, registry.NeedsReview,
		registry.Rejected, registry.Duplicate:
		return l.T("result." + string(r))
	}
	return string(r)
}

// outcomeView puts the city's decision in plain words.
func (s *Server) outcomeView(l i18n.Lang, c *registry.Change, o *registry.Outcome) outcomeView {
	if o == nil {
		return outcomeView{Class: "pending", Text: l.T("outcome.pending")}
	}
	v := outcomeView{Class: string(o.Result), Text: resultLabel(l, o.Result)}
	lost := append([]registry.Loss(nil), o.Lost...)
	sort.SliceStable(lost, func(i, j int) bool { return lost[i].Field < lost[j].Field })
	switch o.Result {
	case registry.Superseded:
		if len(lost) > 0 {
			v.Text = l.T("outcome.superseded.by", lost[0].By, s.formatTime(lost[0].Time.Time()))
		}
	case registry.NeedsReview:
		if o.Reason != "" {
			v.Text = l.T("outcome.review.reason", o.Reason)
		}
	case registry.Rejected:
		if o.Reason != "" {
			v.Text = l.T("outcome.rejected.reason", o.Reason)
		}
	case registry.Duplicate:
		if o.Original != "" {
			v.Text = l.T("outcome.duplicate.original", resultLabel(l, o.Original))
		}
	}
	if o.Reason != "" && o.Result != registry.NeedsReview && o.Result != registry.Rejected {
		v.Details = append(v.Details, l.T("outcome.reason", o.Reason))
	}
	for _, loss := range lost {
		name := loss.Field.String()
		v.Details = append(v.Details, l.T("outcome.lost", fieldLabel(l, name),
			displayValue(l, name, loss.Winner), loss.By, s.formatTime(loss.Time.Time())))
	}
	if o.Citizen != "" && o.Citizen != c.Citizen {
		v.Details = append(v.Details, l.T("outcome.assigned", o.Citizen))
	}
	if o.Clamped {
		v.Details = append(v.Details, l.T("outcome.clamped"))
	}
	return v
}
