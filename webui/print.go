package webui

import (
	"net/http"
	"net/url"

	"github.com/xanode/xanode/node/registry"
)

// printFields are the lines of a residence-information confirmation
// (xác nhận thông tin về cư trú), in the order of the paper form.
var printFields = []registry.Field{
	registry.FieldFullName, registry.FieldOtherName, registry.FieldBirthDate, registry.FieldSex,
	registry.FieldNationality, registry.FieldEthnicity, registry.FieldHometown,
	registry.FieldPermanentAddress, registry.FieldTemporaryAddress, registry.FieldTemporaryUntil,
	registry.FieldCurrentAddress, registry.FieldAbsence, registry.FieldAbsenceEnd,
	registry.FieldHousehold, registry.FieldRelation, registry.FieldStatus, registry.FieldDeathDate,
}

// printPage stands alone: no menu, no language switch, nothing but the
// paper and, on screen only, the print button and the way back.
type printPage struct {
	Lang                  string
	Title, CSS, JS        string
	Issuer, Commune, Node string
	Officer               Officer
	Printed               string // date and time of the print
	Day, Month, Year      int
	Name, ID              string
	Rows                  []fieldRow
	Household             string
	Members               []memberView
	Subset                string // the data version the confirmation rests on
	Stale                 bool
	Back                  string
	// Code is the verification code (Attester); "" when the box does not
	// sign, CodeError when it could not.
	Code      string
	CodeError bool
}

// printConfirmation shows the confirmation for the path's citizen. It
// reads the record through Registry.Lookup, so every print is an audited
// lookup; data past the hard limit confirms nothing.
func (s *Server) printConfirmation(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	st, err := s.cfg.Registry.Status()
	if err != nil {
		s.log.Error("status unavailable", "err", err)
		s.renderError(w, r, &sess, http.StatusServiceUnavailable, "print.unavailable")
		return
	}
	if st.Frozen || !st.HasSubset {
		s.renderError(w, r, &sess, http.StatusConflict, "print.frozen")
		return
	}
	c, ok := s.lookupCitizen(w, r, &sess)
	if !ok {
		return
	}
	now := s.cfg.Now().In(s.cfg.Location)
	p := printPage{
		Lang: string(l), Title: l.T("print.title"),
		CSS: s.assets.URL("app.css"), JS: s.assets.URL("app.js"),
		Issuer: st.CommuneName, Commune: st.Commune, Node: st.Node,
		Officer: sess.officer, Printed: s.formatTime(now),
		Day: now.Day(), Month: int(now.Month()), Year: now.Year(),
		Name: c.Get(registry.FieldFullName), ID: c.ID,
		Household: c.Get(registry.FieldHousehold),
		Subset:    l.Int(int64(st.SubsetVersion)),
		Stale:     st.Stale,
		Back:      "/citizen/" + url.PathEscape(c.ID),
	}
	if p.Issuer == "" {
		p.Issuer = l.T("print.commune", st.Commune)
	}
	p.Rows = append(p.Rows, fieldRow{l.T("print.id"), c.ID})
	for _, f := range printFields {
		if v := c.Get(f); v != "" {
			p.Rows = append(p.Rows, fieldRow{fieldLabel(l, f.String()), displayValue(l, f.String(), v)})
		}
	}
	p.Members, _ = s.members(l, &sess, c)
	if a, ok := s.cfg.Registry.(Attester); ok {
		doc := Document{Citizen: c.ID, Issued: now, Subset: st.SubsetVersion}
		for _, f := range printFields {
			if v := c.Get(f); v != "" {
				doc.Lines = append(doc.Lines, DocLine{f.String(), v})
			}
		}
		for _, m := range p.Members {
			doc.Members = append(doc.Members, m.ID)
		}
		code, err := a.Attest(sess.officer.User, doc)
		if err != nil {
			s.log.Error("the confirmation could not be signed", "user", sess.officer.User, "citizen", c.ID, "err", err)
			p.CodeError = true
		}
		p.Code = code
	}
	s.log.Info("residence confirmation printed", "user", sess.officer.User, "citizen", c.ID, "code", p.Code)
	s.render(w, r, http.StatusOK, "print", "print", p)
}
