package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

// What every page shows besides its own content (DESIGN.md, "Web UI"):
// the state of the link to the city in the header, a plain message on
// the home and queue pages while the city cannot be reached (the
// technical reason folded away), and the decisions city IT took on the
// officer's changes that were under review, until the officer has seen
// them. Ages tick in the browser (static/status.js); status.js re-fetches
// GET /status/live on the page's live events.

// Decisions is implemented by a Registry whose node learns city IT's
// decisions on changes that went to review. The UI then shows each
// officer the decisions on the changes they recorded until they dismiss
// them, and follows a birth's provisional ID to the one the city gave.
type Decisions interface {
	// Notices returns up to n decisions on changes officer (Officer.User)
	// recorded that they have not dismissed, newest first, each with
	// Recorded.Decision set.
	Notices(officer string, n int) ([]Recorded, error)
	// Dismiss removes officer's notice of the decision on change (a
	// change ID); an error wrapping ErrNotFound when they have none.
	Dismiss(officer, change string) error
	// FinalID returns the personal ID the city gave the birth recorded
	// under provisional (registry.ProvisionalID), "" while none is given;
	// an error wrapping ErrNotFound for a provisional ID this node never
	// gave.
	FinalID(provisional string) (string, error)
}

// maxNotices is how many decision notices a page shows at most.
const maxNotices = 5

// deskView is the header's city link, the offline message and the
// notices.
type deskView struct {
	Link    linkView
	Offline bool   // show the plain message: the city cannot be reached
	Held    string // the city holds the office's changes until a time; "" when not
	Pending string // changes waiting, formatted; "" when none
	Detail  string // the last sync error, technical, folded away
	Notices []noticeView
	Back    string // where a dismissed notice returns to
}

// linkView is the city link in words. An age shows in a span the script
// ticks: Before, Age and After are the sentence around it.
type linkView struct {
	State              string // "on", "off" or "never"
	Before, Age, After string
	AgoMS              int64 // the age in milliseconds when the page was made
	Text               string
}

// noticeView is one decision, for the officer who recorded the change.
type noticeView struct {
	Change, Class, Text, URL string
}

// desk builds the view from the node's status; sess is the officer's.
func (s *Server) desk(l i18n.Lang, sess *session, st Status, back string) *deskView {
	d := &deskView{Back: back, Detail: st.LastError}
	now := s.cfg.Now()
	switch {
	case st.CityConnected:
		d.Link = linkView{State: "on", Text: l.T("link.on")}
	case st.LastSynced.IsZero():
		d.Link = linkView{State: "never", Text: l.T("link.never")}
	default:
		ago := max(0, now.Sub(st.LastSynced))
		d.Link = linkView{State: "off", AgoMS: ago.Milliseconds()}
		d.Link.Before, d.Link.Age, d.Link.After = ticking(l, "link.off", age(l, ago))
	}
	d.Offline = !st.CityConnected
	if st.HeldUntil.After(now) && st.Pending > 0 {
		d.Held = l.T("held.message", s.formatTime(st.HeldUntil))
	}
	if st.Pending > 0 {
		d.Pending = l.T("offline.pending", l.Int(int64(st.Pending)))
	}
	if dec, ok := s.cfg.Registry.(Decisions); ok && sess != nil {
		list, err := dec.Notices(sess.officer.User, maxNotices)
		if err != nil {
			s.log.Warn("decision notices unavailable", "user", sess.officer.User, "err", err)
		}
		for _, rc := range list {
			if rc.Change != nil && rc.Decision != nil {
				d.Notices = append(d.Notices, s.notice(l, rc))
			}
		}
	}
	return d
}

// ticking splits the message key, formatted with args and then the age,
// around the age, so that it can sit in a span of its own whatever the
// word order.
func ticking(l i18n.Lang, key, ageText string, args ...any) (before, mid, after string) {
	const mark = "\x00"
	msg := l.T(key, append(args, mark)...)
	b, a, ok := strings.Cut(msg, mark)
	if !ok {
		return msg, "", ""
	}
	return b, ageText, a
}

// notice says what city IT decided on one of the officer's changes.
func (s *Server) notice(l i18n.Lang, rc Recorded) noticeView {
	c, d := rc.Change, rc.Decision
	v := noticeView{Change: c.ID(), Class: string(d.Result), URL: "/outbox#c-" + c.ID()}
	who := c.Citizen
	if d.Citizen != "" {
		who = d.Citizen
	}
	if _, err := registry.ParseID(who); err == nil {
		v.URL = "/citizen/" + url.PathEscape(who)
	}
	key := "notice.applied"
	if d.Result == registry.Rejected {
		key = "notice.rejected"
	}
	v.Text = l.T(key, opLabel(l, c.Op), who, s.formatTime(c.Time.Time()), reasonOf(d.Reason))
	return v
}

// reasonOf is city IT's reason without the "resolved by NAME:" the city
// puts before it.
func reasonOf(r string) string {
	if _, after, ok := strings.Cut(r, ": "); ok && strings.HasPrefix(r, "resolved by ") {
		return after
	}
	return r
}

// decisionView is city IT's decision on a change that was under review,
// as the queue and the record's history show it under the first outcome.
func (s *Server) decisionView(l i18n.Lang, c *registry.Change, d *registry.Outcome) *outcomeView {
	v := s.outcomeView(l, c, d)
	v.Details = nil
	switch d.Result {
	case registry.Rejected:
		v.Text = l.T("decision.rejected", reasonOf(d.Reason))
	default:
		v.Text = l.T("decision.applied", reasonOf(d.Reason))
	}
	v.Badge = l.T("decision.badge") + ": " + v.Badge
	return &v
}

// dismissNotice handles POST /notices/dismiss: the officer has seen the
// decision; back to the page they were on.
func (s *Server) dismissNotice(w http.ResponseWriter, r *http.Request, sess session) {
	dec, ok := s.cfg.Registry.(Decisions)
	if !ok {
		s.notFound(w, r)
		return
	}
	err := dec.Dismiss(sess.officer.User, r.PostFormValue("change"))
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.log.Error("notice not dismissed", "user", sess.officer.User, "err", err)
		s.renderError(w, r, &sess, http.StatusInternalServerError, "notice.failed")
		return
	}
	http.Redirect(w, r, shell.LocalPath(r.PostFormValue("back")), http.StatusSeeOther)
}

// statusLive serves GET /status/live: the header's city link, the offline
// message and the notices, which status.js swaps in on live events.
func (s *Server) statusLive(w http.ResponseWriter, r *http.Request, sess session) {
	b := s.base(r, &sess, "home.title", "/")
	if b.Desk != nil {
		b.Desk.Back = shell.LocalPath(r.URL.Query().Get("here"))
	}
	b.Nav = r.URL.Query().Get("nav")
	s.render(w, r, http.StatusOK, "home", "desk-live", b)
}

// birthRecord serves GET /birth/{id}: a birth recorded here under a
// provisional ID leads to the record under the ID the city gave it, or
// says that the city has not given one yet.
func (s *Server) birthRecord(w http.ResponseWriter, r *http.Request, sess session) {
	id := r.PathValue("id")
	dec, ok := s.cfg.Registry.(Decisions)
	if !ok || !registry.IsProvisional(id) {
		s.notFound(w, r)
		return
	}
	final, err := dec.FinalID(id)
	switch {
	case errors.Is(err, ErrNotFound):
		s.notFound(w, r)
		return
	case err != nil:
		s.log.Error("final ID unavailable", "provisional", id, "err", err)
		s.renderError(w, r, &sess, http.StatusInternalServerError, "error.internal")
		return
	case final == "":
		s.renderPage(w, r, http.StatusOK, "error", errorPage{base: s.base(r, &sess, "birth.waiting.title", "/"),
			Message: langOf(r).T("birth.waiting", id)})
		return
	}
	http.Redirect(w, r, "/citizen/"+url.PathEscape(final), http.StatusSeeOther)
}

// ageTick is an age shown in a span the script ticks from AgoMS.
type ageTick struct {
	Before, Age, After string
	AgoMS              int64
}

// tickAge puts the age of t in the message key, after args, for the
// script to tick.
func (s *Server) tickAge(l i18n.Lang, key string, t time.Time, args ...any) *ageTick {
	if t.IsZero() {
		return nil
	}
	ago := max(0, s.cfg.Now().Sub(t))
	a := &ageTick{AgoMS: ago.Milliseconds()}
	a.Before, a.Age, a.After = ticking(l, key, age(l, ago), args...)
	return a
}
