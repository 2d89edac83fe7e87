package webui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

type outboxPage struct {
	base
	live
}

// live is the part of the outbox page that its script re-fetches on an
// event (GET /outbox/live): the change just recorded, the sync status and
// the list.
type live struct {
	Recorded  *changeRow // the change named by ?recorded=, when it is listed
	Sync      syncView
	Rows      []changeRow
	ListError string
	// All: identifications are listed too (?all=1); by default they are
	// not, and a link shows them.
	All bool
}

type syncView struct {
	Unavailable bool
	Node        string
	Commune     string
	HasSubset   bool
	Subset      string
	Stale       bool
	Frozen      bool
	Pending     string
	Oldest      *ageTick // age of the oldest waiting change, ticking; nil when none waits
	LastSynced  string   // "never", in words, when LastAgo is nil
	LastAgo     *ageTick // when the last exchange was, its age ticking; nil: never
	LastError   string
	Transfer    string // the download or import under way, in words; "" when none
	Percent     int    // of the transfer, for the progress bar; -1: unknown
}

type changeRow struct {
	ID, When, Op, Citizen, CitizenURL, Officer, Procedure string
	Birth                                                 bool // the citizen is a provisional ID until the city assigns one
	Patch                                                 []fieldRow
	State                                                 outcomeView
	Highlight                                             bool
}

// outcomeView is a change's state in words: Badge is the result in a word
// or two, Text the sentence that explains it, Details field by field what
// was applied and what lost to whom. Class picks the badge's look.
type outcomeView struct {
	Class, Badge, Text string
	Details            []string
	Assigned           string // the personal ID the city assigned to a birth
	AssignedURL        string
	// Decision is city IT's decision after review, under the needs_review
	// outcome it ends; nil until it came.
	Decision *outcomeView
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request, sess session) {
	b := s.base(r, &sess, "outbox.title", "/outbox")
	b.Nav = "outbox"
	b.Live = "/outbox/live"
	s.renderPage(w, r, http.StatusOK, "outbox", outboxPage{base: b, live: s.live(r)})
}

func (s *Server) outboxLive(w http.ResponseWriter, r *http.Request, _ session) {
	s.render(w, r, http.StatusOK, "outbox", "live", s.live(r))
}

func (s *Server) live(r *http.Request) live {
	l := langOf(r)
	var v live
	v.Sync = s.syncView(l)
	v.All = r.URL.Query().Get("all") == "1"
	recent, err := s.recent(v.All)
	if err != nil {
		s.log.Error("recent changes unavailable", "err", err)
		v.ListError = l.T("outbox.unavailable")
	}
	// ?recorded= marks the change just recorded. Only a change that is in
	// the list is marked, so the address cannot put arbitrary words on the
	// page; the script passes it on when it re-fetches.
	recorded := r.URL.Query().Get("recorded")
	for _, rc := range recent {
		if rc.Change == nil {
			continue
		}
		row := s.changeRow(l, rc)
		if recorded != "" && row.ID == recorded {
			row.Highlight = true
			v.Recorded = &row
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// recent lists the changes the outbox page shows: all of them, or all
// but identifications.
func (s *Server) recent(all bool) ([]Recorded, error) {
	n := s.cfg.RecentChanges
	if lister, ok := s.cfg.Registry.(RecentLister); ok && !all {
		return lister.RecentChanges(n)
	}
	list, err := s.cfg.Registry.Recent(n)
	if all || err != nil {
		return list, err
	}
	return slices.DeleteFunc(list, func(r Recorded) bool {
		return r.Change != nil && r.Change.Op == registry.OpIdentify
	}), nil
}

func (s *Server) syncView(l i18n.Lang) syncView {
	st, err := s.cfg.Registry.Status()
	if err != nil {
		s.log.Error("status unavailable", "err", err)
		return syncView{Unavailable: true}
	}
	v := syncView{
		Node: st.Node, Commune: st.Commune, HasSubset: st.HasSubset, Stale: st.Stale || st.Frozen, Frozen: st.Frozen,
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
		v.Oldest = s.tickAge(l, "sync.oldest", st.OldestPending)
	}
	v.Transfer, v.Percent = transferText(l, st.Transfer)
	if st.LastSynced.IsZero() {
		v.LastSynced = l.T("sync.never")
	} else {
		v.LastAgo = s.tickAge(l, "sync.ago", st.LastSynced, s.formatTime(st.LastSynced))
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
		Birth:     registry.IsProvisional(c.Citizen),
		State:     s.outcomeView(l, c, rc.Outcome),
	}
	if rc.Decision != nil {
		row.State.Decision = s.decisionView(l, c, rc.Decision)
	}
	if _, err := registry.ParseID(c.Citizen); err == nil {
		row.CitizenURL = "/citizen/" + url.PathEscape(c.Citizen)
	} else if _, ok := s.cfg.Registry.(Decisions); ok && row.Birth {
		row.CitizenURL = "/birth/" + url.PathEscape(c.Citizen) // leads to the final ID once given
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
		return outcomeView{Class: "pending", Badge: l.T("outcome.pending")}
	}
	v := outcomeView{Class: string(o.Result), Badge: resultLabel(l, o.Result)}
	named := "" // the winning change the sentence already names
	lost := append([]registry.Loss(nil), o.Lost...)
	sort.SliceStable(lost, func(i, j int) bool { return lost[i].Field < lost[j].Field })
	switch o.Result {
	case registry.Merged:
		v.Text = l.T("outcome.merged")
		for _, fv := range c.Patch {
			if !lostField(lost, fv.Field) {
				name := fv.Field.String()
				v.Details = append(v.Details, l.T("outcome.kept", fieldLabel(l, name), displayValue(l, name, fv.Value)))
			}
		}
	case registry.Superseded:
		v.Text = l.T("outcome.superseded")
		if w, ok := decisive(lost); ok {
			v.Text, named = l.T("outcome.superseded.by", w.By, s.formatTime(w.Time.Time())), w.By
		}
	case registry.NeedsReview:
		v.Text = reasoned(l, "outcome.review", "outcome.review.reason", o.Reason)
	case registry.Rejected:
		v.Text = reasoned(l, "outcome.rejected", "outcome.rejected.reason", o.Reason)
	case registry.Duplicate:
		v.Text = l.T("outcome.duplicate", resultLabel(l, o.Original))
	}
	if o.Reason != "" && o.Result != registry.NeedsReview && o.Result != registry.Rejected {
		v.Details = append(v.Details, l.T("outcome.reason", o.Reason))
	}
	for _, loss := range lost {
		name := loss.Field.String()
		if loss.By == named {
			v.Details = append(v.Details, l.T("outcome.lost.named", fieldLabel(l, name), displayValue(l, name, loss.Winner)))
			continue
		}
		v.Details = append(v.Details, l.T("outcome.lost", fieldLabel(l, name),
			displayValue(l, name, loss.Winner), loss.By, s.formatTime(loss.Time.Time())))
	}
	if o.Citizen != "" && o.Citizen != c.Citizen {
		v.Assigned = o.Citizen
		if _, err := registry.ParseID(o.Citizen); err == nil {
			v.AssignedURL = "/citizen/" + url.PathEscape(o.Citizen)
		}
	}
	if o.Clamped {
		v.Details = append(v.Details, l.T("outcome.clamped"))
	}
	return v
}

// reasoned is the sentence of bare, or of withReason when the city gave a
// reason.
func reasoned(l i18n.Lang, bare, withReason, reason string) string {
	if reason == "" {
		return l.T(bare)
	}
	return l.T(withReason, reason)
}

func lostField(lost []registry.Loss, f registry.Field) bool {
	for _, x := range lost {
		if x.Field == f {
			return true
		}
	}
	return false
}

// decisive is the latest of the changes that won over this one: the one
// the officer should look at first.
func decisive(lost []registry.Loss) (registry.Loss, bool) {
	if len(lost) == 0 {
		return registry.Loss{}, false
	}
	w := lost[0]
	for _, x := range lost[1:] {
		if x.Time > w.Time {
			w = x
		}
	}
	return w, true
}

// transferText puts a transfer in words: what, how far, how long still.
func transferText(l i18n.Lang, t Transfer) (string, int) {
	if t.Phase == "" {
		return "", -1
	}
	pct := -1
	if t.Total > 0 {
		pct = int(min(100, t.Done*100/t.Total))
	}
	var text string
	switch {
	case t.Phase == TransferDownload && t.Total > 0:
		text = l.T("transfer.download.of", sizeText(l, t.Done), sizeText(l, t.Total), pct)
	case t.Phase == TransferDownload:
		text = l.T("transfer.download", sizeText(l, t.Done))
	case t.Total > 0:
		text = l.T("transfer.import.of", l.Int(t.Done), l.Int(t.Total), pct)
	default:
		text = l.T("transfer.import", l.Int(t.Done))
	}
	if t.Left > 0 {
		text += " · " + l.T("transfer.left", age(l, t.Left))
	}
	return text, pct
}

// sizeText is a byte count for people: KB below a megabyte, MB above.
func sizeText(l i18n.Lang, n int64) string {
	if n < 1<<20 {
		return l.T("size.kb", l.Int((n+1023)/1024))
	}
	return l.T("size.mb", l.Int(n>>20), (n%(1<<20))*10>>20)
}
