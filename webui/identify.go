package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

type homePage struct {
	base
	CanTap   bool
	TapError string
	CanQR    bool
	QR       string // the payload, kept after a refusal
	QRError  string
	NeedsKey bool        // the reader needs the ID or CAN (a real reader)
	Reader   *readerView // nil: the reader reports no state

	// The tap form: what the officer typed to open the chip, kept after a
	// refusal, and what is wrong with each box.
	TapKey, TapBirth, TapExpiry                string
	TapKeyError, TapBirthError, TapExpiryError string
	DatesOpen                                  bool // show the BAC dates without a click

	LookupID    string // kept after a refused lookup
	LookupError string
	Ident       *identView
	// Focus is the box that takes the keyboard on arrival: "id", "name",
	// "birth", "tap-key", "tap-birth" or "tap-expiry"; "" when a result
	// takes it (the page script focuses it).
	Focus string

	// The search by name and date of birth: the officer's input is kept.
	SearchName, SearchBirth string
	Searched                bool
	NameInvalid             bool
	SearchError, BirthError string
	Results                 []resultView
	More                    string // more results than shown: narrow the search
	SearchNone              string // nothing found, in words
}

// identView is one card read as the officer sees it: the chip beside the
// local record, differences marked in words as well as colour.
type identView struct {
	ID, DocNumber, Access string
	Assurance             string // in words
	AssuranceLevel        string // strong, medium or weak: the badge's look
	Reasons               []string
	APDUs                 int
	Name                  string
	InLocal               bool
	// Frozen: the local data is past its hard limit, so the card is shown
	// on its own, without a verdict that would rely on that data.
	Frozen      bool
	Compare     bool // rows carry the local value and the comparison
	Rows        []matchRow
	Differences int
	RecordURL   string
	// Visitor: the citizen is not in the local data and the chip proved
	// them present (their record from the city, or the chip's data);
	// VisitProblem says in words why they cannot be served instead.
	Visitor      *visitorView
	VisitProblem string
	// QR: what was read is the card's printed QR code, not its chip; the
	// page says so wherever it would say "chip".
	QR bool
	// The chip's face: its address, which only this session opens, or
	// why it is not shown; both "" for a QR code, which has no face.
	FaceURL               string
	FaceWidth, FaceHeight int
	FaceProblem           string
}

type matchRow struct {
	Label, Chip, Local string
	Agree, Renamed     bool
}

func (s *Server) homePage(r *http.Request, sess *session) homePage {
	b := s.base(r, sess, "home.title", "/")
	b.Nav = "home"
	p := homePage{base: b, CanTap: s.cfg.Cards != nil, CanQR: s.cfg.QR != nil, Focus: "id"}
	if cr, ok := s.cfg.Cards.(CardReader); ok {
		st := cr.ReaderStatus()
		p.NeedsKey = st.NeedsKey
		if p.Reader = readerOf(langOf(r), st); p.Reader != nil {
			p.Live = "/tap/live"
		}
		if p.NeedsKey {
			p.Focus = "tap-key" // with a real reader, reading the card comes first
		}
	}
	return p
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, sess session) {
	s.renderPage(w, r, http.StatusOK, "home", s.homePage(r, &sess))
}

// readerView is the reader's state in words, for the home page.
type readerView struct {
	State, Text, Name string
	Class             string // the look: warn when nothing can be read, ok with a card
}

// readerTexts say each reader state to the officer, and how it looks.
var readerTexts = map[string][2]string{
	ReaderDown:  {"reader.down", "warn"},
	ReaderNone:  {"reader.none", "warn"},
	ReaderReady: {"reader.ready", "notice"},
	ReaderCard:  {"reader.card", "ok"},
}

// readerOf describes st; nil when the reader reports no (known) state.
func readerOf(l i18n.Lang, st ReaderStatus) *readerView {
	text, ok := readerTexts[st.State]
	if !ok {
		return nil
	}
	return &readerView{State: st.State, Text: l.T(text[0]), Name: st.Name, Class: text[1]}
}

// tapLive serves GET /tap/live: the reader's state, which the home page's
// script re-fetches on every event.
func (s *Server) tapLive(w http.ResponseWriter, r *http.Request, _ session) {
	var v *readerView
	if cr, ok := s.cfg.Cards.(CardReader); ok {
		v = readerOf(langOf(r), cr.ReaderStatus())
	}
	s.render(w, r, http.StatusOK, "home", "live", v)
}

// tap reads the card on the reader, opened with the key the officer
// typed, and shows the result. The node's Cards implementation looks the
// citizen up (and audits it); the UI only shows.
func (s *Server) tap(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	page := s.homePage(r, &sess)
	if s.cfg.Cards == nil {
		page.TapError = l.T("tap.noreader")
		s.renderPage(w, r, http.StatusNotFound, "home", page)
		return
	}
	page.TapKey, page.TapBirth, page.TapExpiry = r.PostFormValue("key"), r.PostFormValue("birth"), r.PostFormValue("expiry")
	page.DatesOpen = strings.TrimSpace(page.TapBirth+page.TapExpiry) != ""
	key, bad := checkCardKey(l, page.TapKey, page.TapBirth, page.TapExpiry, page.NeedsKey)
	if bad.any() {
		page.TapKeyError, page.TapBirthError, page.TapExpiryError, page.Focus = bad.key, bad.birth, bad.expiry, bad.focus()
		s.renderPage(w, r, http.StatusBadRequest, "home", page)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.TapTimeout)
	defer cancel()
	id, err := s.cfg.Cards.Tap(ctx, sess.officer.User, key)
	status := http.StatusOK
	switch {
	case errors.Is(err, ErrNoCard):
		page.TapError, status = l.T("tap.nocard"), http.StatusConflict
	case errors.Is(err, ErrNoReader):
		s.log.Warn("card reader not available", "err", err)
		page.TapError, status = l.T("tap.noreader"), http.StatusServiceUnavailable
	case errors.Is(err, ErrKeyRequired):
		page.TapKeyError, page.Focus, status = l.T("tapkey.empty"), "tap-key", http.StatusBadRequest
	case errors.Is(err, ErrWrongKey):
		page.TapError, page.Focus, status = l.T("tap.wrongkey"), "tap-key", http.StatusUnprocessableEntity
	case errors.Is(err, ErrNeedDates):
		page.TapError, page.Focus, status = l.T("tap.needdates"), "tap-birth", http.StatusUnprocessableEntity
		page.DatesOpen = true
	case errors.Is(err, ErrNotIDCard):
		page.TapError, status = l.T("tap.notcard"), http.StatusUnprocessableEntity
	case errors.Is(err, context.DeadlineExceeded):
		page.TapError, status = l.T("tap.timeout"), http.StatusGatewayTimeout
	case err != nil:
		s.log.Error("card read failed", "user", sess.officer.User, "err", err)
		page.TapError, status = l.T("tap.failed"), http.StatusBadGateway
	case id == nil:
		s.log.Error("card reader returned no result and no error")
		page.TapError, status = l.T("tap.failed"), http.StatusBadGateway
	default:
		page.Ident, page.Focus = identify(l, id, page.Status != nil && page.Status.Frozen), ""
		page.Ident.FaceURL = s.showFace(r, id)
		if id.Visit != nil {
			s.visits.put(sess.csrf, id.Visit)
			page.Ident.Visitor = s.visitorView(l, id.Visit)
		}
		// The key opened this card only: the next card starts empty.
		page.TapKey, page.TapBirth, page.TapExpiry, page.DatesOpen = "", "", "", false
	}
	s.renderPage(w, r, status, "home", page)
}

// scanQR identifies the citizen by the QR code a scanner typed into the
// form; the result shows like a card read, marked as the weakest
// assurance (printed data, nothing signed).
func (s *Server) scanQR(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	page := s.homePage(r, &sess)
	if s.cfg.QR == nil {
		s.notFound(w, r)
		return
	}
	payload := strings.TrimSpace(r.PostFormValue("qr"))
	page.QR, page.Focus = payload, "qr"
	if payload == "" {
		page.QRError = l.T("qr.empty")
		s.renderPage(w, r, http.StatusBadRequest, "home", page)
		return
	}
	id, err := s.cfg.QR.ScanQR(r.Context(), sess.officer.User, payload)
	switch {
	case errors.Is(err, ErrBadQR):
		page.QRError = l.T("qr.bad")
		s.renderPage(w, r, http.StatusUnprocessableEntity, "home", page)
		return
	case err != nil:
		s.log.Error("QR identification failed", "user", sess.officer.User, "err", err)
		page.QRError = l.T("qr.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "home", page)
		return
	}
	page.Ident, page.Focus, page.QR = identify(l, id, page.Status != nil && page.Status.Frozen), "", ""
	s.renderPage(w, r, http.StatusOK, "home", page)
}

// keyProblems says what is wrong with each box of the tap form.
type keyProblems struct{ key, birth, expiry string }

func (p keyProblems) any() bool { return p.key != "" || p.birth != "" || p.expiry != "" }

// focus is the first box in trouble.
func (p keyProblems) focus() string {
	switch {
	case p.key != "":
		return "tap-key"
	case p.birth != "":
		return "tap-birth"
	}
	return "tap-expiry"
}

// checkCardKey reads the tap form: the 12-digit ID (typed with spaces, dots
// or dashes as officers copy it) or the 6-digit CAN, and optionally the
// date of birth and expiry date for BAC, both or neither, which need the
// full ID (its last 9 digits are the document number). Without needed an
// empty form is the zero key.
func checkCardKey(l i18n.Lang, rawKey, rawBirth, rawExpiry string, needed bool) (CardKey, keyProblems) {
	var k CardKey
	var p keyProblems
	digits := strings.Map(dropSeparators, rawKey)
	withDates := strings.TrimSpace(rawBirth) != "" || strings.TrimSpace(rawExpiry) != ""
	switch {
	case digits == "" && withDates:
		p.key = l.T("tapkey.fordates")
	case digits == "" && needed:
		p.key = l.T("tapkey.empty")
	case digits == "":
	case !allDigits(digits):
		p.key = l.T("tapkey.digits")
	case len(digits) == 12:
		k.ID = digits
	case len(digits) == 6 && withDates:
		p.key = l.T("tapkey.fordates")
	case len(digits) == 6:
		k.CAN = digits
	default:
		p.key = l.T("tapkey.length", len(digits))
	}
	if !withDates {
		return k, p
	}
	birth, birthMsg := cardDate(l, rawBirth)
	expiry, expiryMsg := cardDate(l, rawExpiry)
	p.birth, p.expiry = birthMsg, expiryMsg
	if p.birth == "" && p.expiry == "" && birth.String() >= expiry.String() { // full ISO dates sort as strings
		p.expiry = l.T("tapkey.order")
	}
	if !p.any() {
		k.BirthDate, k.ExpiryDate = birth.String(), expiry.String()
	}
	return k, p
}

// cardDate reads a date printed on the card: day, month and year all
// needed, since the chip's key holds them.
func cardDate(l i18n.Lang, raw string) (registry.Date, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return registry.Date{}, l.T("tapkey.bothdates")
	}
	d, ok := parseInputDate(raw)
	if !ok || d.Day == 0 {
		return registry.Date{}, l.T("tapkey.date")
	}
	return d, ""
}

// assuranceLevels maps each assurance to how much the officer may rely on
// it; an unknown value is treated as the weakest.
var assuranceLevels = map[string]string{
	AssuranceCloningChecked: "strong",
	AssuranceChipVerified:   "strong",
	AssuranceChipRead:       "medium",
	AssuranceQR:             "weak",
	AssuranceTyped:          "weak",
}

func identify(l i18n.Lang, id *Identification, frozen bool) *identView {
	v := &identView{
		ID: id.ID, DocNumber: id.DocNumber, Access: strings.ToUpper(id.Access),
		Reasons: id.Reasons, APDUs: id.APDUs, InLocal: id.Record != nil, Frozen: frozen,
		Name: id.Chip[registry.FieldFullName.String()],
		QR:   id.Assurance == AssuranceQR,
	}
	if id.VisitProblem != "" {
		v.VisitProblem = l.T(orKey(visitProblems[id.VisitProblem], "visit.problem.unverified"))
	}
	if id.Visit != nil && id.Visit.Record != nil {
		if n := id.Visit.Record.Get(registry.FieldFullName); n != "" {
			v.Name = n
		}
	}
	if id.Face != nil {
		v.FaceWidth, v.FaceHeight = id.Face.Width, id.Face.Height
	} else if id.FaceProblem != "" {
		v.FaceProblem = l.T("face." + id.FaceProblem)
	}
	v.AssuranceLevel = assuranceLevels[id.Assurance]
	if v.AssuranceLevel == "" {
		v.AssuranceLevel = "weak"
		v.Assurance = l.T("assurance.unknown", id.Assurance)
	} else {
		v.Assurance = l.T("assurance." + id.Assurance)
	}
	if id.Record != nil {
		v.RecordURL = "/citizen/" + url.PathEscape(id.Record.ID)
		if n := id.Record.Get(registry.FieldFullName); n != "" {
			v.Name = n
		}
	}
	if len(id.Matches) > 0 && !frozen {
		v.Compare = true
		for _, m := range id.Matches {
			v.Rows = append(v.Rows, matchRow{
				Label: fieldLabel(l, m.Field),
				Chip:  displayValue(l, m.Field, m.Chip),
				Local: displayValue(l, m.Field, m.Local),
				Agree: m.Agree, Renamed: m.Renamed,
			})
			if !m.Agree {
				v.Differences++
			}
		}
		return v
	}
	// No comparison (citizen not in the subset, or the subset too old to
	// rely on): show what the chip said.
	for _, sec := range recordSections {
		for _, f := range sec.fields {
			if c, ok := id.Chip[f.String()]; ok && c != "" {
				v.Rows = append(v.Rows, matchRow{Label: fieldLabel(l, f.String()), Chip: displayValue(l, f.String(), c), Agree: true})
			}
		}
	}
	return v
}

// lookup checks the typed ID and goes to the record page, which reads it.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, sess session) {
	raw := r.URL.Query().Get("id")
	id, msg := cleanID(langOf(r), raw)
	if msg != "" {
		page := s.homePage(r, &sess)
		page.LookupID, page.LookupError = raw, msg
		s.renderPage(w, r, http.StatusBadRequest, "home", page)
		return
	}
	http.Redirect(w, r, "/citizen/"+id, http.StatusSeeOther)
}

// cleanID accepts a personal ID typed with spaces, dots or dashes between
// groups (as officers copy it from paper) and says in words what is wrong
// with anything else.
func cleanID(l i18n.Lang, raw string) (string, string) {
	id := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\t':
			return -1
		}
		return r
	}, raw)
	switch {
	case id == "":
		return "", l.T("lookup.empty")
	case strings.IndexFunc(id, func(r rune) bool { return r < '0' || r > '9' }) >= 0:
		return "", l.T("lookup.digits")
	case len(id) != 12:
		return "", l.T("lookup.length", len(id))
	}
	if _, err := registry.ParseID(id); err != nil {
		return "", l.T("lookup.digits")
	}
	return id, ""
}
