package webui

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// maxTemporaryYears is the longest temporary residence one registration
// grants (Luật Cư trú 2020, Điều 27: at most 2 years, renewable).
const maxTemporaryYears = 2

type citizenPage struct {
	base
	ID       string
	Name     string
	Province string
	Deceased bool
	Sections []sectionView
	Form     temporaryForm
}

type sectionView struct {
	Title string
	Rows  []fieldRow
}

type fieldRow struct{ Label, Value string }

// temporaryForm is the temporary residence form: the officer's input and,
// after a refusal, the messages next to each box.
type temporaryForm struct {
	Action                          string
	Address, Until, Procedure, Note string
	AddressError, UntilError        string
	Error, Detail                   string // form-level message, and the technical reason if any
}

// citizen shows one record. Every view goes through Registry.Lookup, which
// writes the audit entry on the node side.
func (s *Server) citizen(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.lookupCitizen(w, r, &sess)
	if !ok {
		return
	}
	page := s.citizenPage(r, &sess, c)
	s.renderPage(w, r, http.StatusOK, "citizen", page)
}

// lookupCitizen reads the path's citizen, answering the request itself
// (with the home page and a message) when that fails.
func (s *Server) lookupCitizen(w http.ResponseWriter, r *http.Request, sess *session) (*registry.Citizen, bool) {
	l := langOf(r)
	raw := r.PathValue("id")
	page := s.homePage(r, sess)
	page.LookupID = raw
	id, msg := cleanID(l, raw)
	if msg != "" {
		page.LookupError = msg
		s.renderPage(w, r, http.StatusBadRequest, "home", page)
		return nil, false
	}
	c, err := s.cfg.Registry.Lookup(sess.officer.User, id)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && c == nil):
		page.LookupError = l.T("lookup.notfound", id)
		s.renderPage(w, r, http.StatusNotFound, "home", page)
		return nil, false
	case err != nil:
		s.log.Error("lookup failed", "id", id, "err", err)
		page.LookupError = l.T("lookup.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "home", page)
		return nil, false
	}
	return c, true
}

func (s *Server) citizenPage(r *http.Request, sess *session, c *registry.Citizen) citizenPage {
	l := langOf(r)
	here := "/citizen/" + c.ID
	p := citizenPage{
		base:     s.base(r, sess, "citizen.title", here),
		ID:       c.ID,
		Name:     c.Get(registry.FieldFullName),
		Deceased: c.Deceased(),
		Form:     temporaryForm{Action: here + "/temporary"},
	}
	if pid, err := registry.ParseID(c.ID); err == nil {
		if name, ok := registry.Provinces[pid.Province]; ok {
			p.Province = name
		}
	}
	for _, sec := range recordSections {
		sv := sectionView{Title: l.T(sec.titleKey)}
		for _, f := range sec.fields {
			if v := c.Get(f); v != "" {
				sv.Rows = append(sv.Rows, fieldRow{fieldLabel(l, f.String()), displayValue(l, f.String(), v)})
			}
		}
		if len(sv.Rows) > 0 {
			p.Sections = append(p.Sections, sv)
		}
	}
	return p
}

// registerTemporary records đăng ký tạm trú. Input is checked here first so
// that common mistakes get a Vietnamese message next to the box; the node
// validates again, and what it refuses is shown with its reason.
func (s *Server) registerTemporary(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	c, ok := s.lookupCitizen(w, r, &sess)
	if !ok {
		return
	}
	page := s.citizenPage(r, &sess, c)
	f := &page.Form
	f.Address = strings.TrimSpace(r.PostForm.Get("address"))
	f.Until = strings.TrimSpace(r.PostForm.Get("until"))
	f.Procedure = strings.TrimSpace(r.PostForm.Get("procedure"))
	f.Note = strings.TrimSpace(r.PostForm.Get("note"))
	until, ok := s.checkTemporary(l, f, c)
	if !ok {
		s.renderPage(w, r, http.StatusUnprocessableEntity, "citizen", page)
		return
	}
	ch, err := s.cfg.Registry.Record(Draft{
		Officer:   sess.officer.User,
		Op:        registry.OpRegisterTemporary,
		Citizen:   c.ID,
		Patch:     map[string]string{"temporary_address": f.Address, "temporary_until": until.String()},
		Procedure: f.Procedure,
		Note:      f.Note,
	})
	switch {
	case errors.Is(err, registry.ErrField) || errors.Is(err, registry.ErrChange):
		f.Error, f.Detail = l.T("record.invalid"), err.Error()
		s.renderPage(w, r, http.StatusUnprocessableEntity, "citizen", page)
		return
	case err != nil:
		s.log.Error("recording failed", "user", sess.officer.User, "citizen", c.ID, "err", err)
		f.Error = l.T("record.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "citizen", page)
		return
	}
	s.log.Info("change recorded", "user", sess.officer.User, "change", ch.ID(), "op", ch.Op)
	http.Redirect(w, r, "/outbox?recorded="+ch.ID(), http.StatusSeeOther)
}

// checkTemporary validates the form and returns the end date.
func (s *Server) checkTemporary(l i18n.Lang, f *temporaryForm, c *registry.Citizen) (registry.Date, bool) {
	if c.Deceased() {
		f.Error = l.T("temporary.deceased")
		return registry.Date{}, false
	}
	switch {
	case f.Address == "":
		f.AddressError = l.T("temporary.address.empty")
	case len(f.Address) > registry.MaxValueLen || !utf8.ValidString(f.Address):
		f.AddressError = l.T("temporary.address.long", registry.MaxValueLen)
	}
	if len(f.Procedure) > registry.MaxValueLen || len(f.Note) > registry.MaxNoteLen {
		f.Error = l.T("temporary.text.long")
	}
	until, err := registry.ParseDate(f.Until)
	today := s.today()
	// time.Date normalises 29 February of a year without one to 1 March.
	ly, lm, ld := time.Date(today.Year+maxTemporaryYears, time.Month(today.Month), today.Day, 0, 0, 0, 0, time.UTC).Date()
	limit := registry.Date{Year: ly, Month: int(lm), Day: ld}
	switch {
	case f.Until == "":
		f.UntilError = l.T("temporary.until.empty")
	case err != nil || until.Day == 0:
		f.UntilError = l.T("temporary.until.format")
	case !dateAfter(until, today):
		f.UntilError = l.T("temporary.until.past", today.Display())
	case dateAfter(until, limit):
		f.UntilError = l.T("temporary.until.far", maxTemporaryYears, limit.Display())
	}
	ok := f.AddressError == "" && f.UntilError == "" && f.Error == ""
	return until, ok
}

// dateAfter compares two full dates.
func dateAfter(a, b registry.Date) bool {
	if a.Year != b.Year {
		return a.Year > b.Year
	}
	if a.Month != b.Month {
		return a.Month > b.Month
	}
	return a.Day > b.Day
}
