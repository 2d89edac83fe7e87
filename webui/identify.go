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
	CanTap      bool
	TapError    string
	LookupID    string // kept after a refused lookup
	LookupError string
	Ident       *identView
	// Focus is the box that takes the keyboard on arrival: "id", "name" or
	// "birth"; "" when a result takes it (the page script focuses it).
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
}

type matchRow struct {
	Label, Chip, Local string
	Agree              bool
}

func (s *Server) homePage(r *http.Request, sess *session) homePage {
	b := s.base(r, sess, "home.title", "/")
	b.Nav = "home"
	return homePage{base: b, CanTap: s.cfg.Cards != nil, Focus: "id"}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, sess session) {
	s.renderPage(w, r, http.StatusOK, "home", s.homePage(r, &sess))
}

// tap reads the card on the reader and shows the result. The node's Cards
// implementation looks the citizen up (and audits it); the UI only shows.
func (s *Server) tap(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	page := s.homePage(r, &sess)
	if s.cfg.Cards == nil {
		page.TapError = l.T("tap.noreader")
		s.renderPage(w, r, http.StatusNotFound, "home", page)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.TapTimeout)
	defer cancel()
	id, err := s.cfg.Cards.Tap(ctx, sess.officer.User)
	status := http.StatusOK
	switch {
	case errors.Is(err, ErrNoCard):
		page.TapError, status = l.T("tap.nocard"), http.StatusConflict
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
	}
	s.renderPage(w, r, status, "home", page)
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
				Agree: m.Agree,
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
