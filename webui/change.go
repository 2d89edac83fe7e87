package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// changePage is the form of one change operation.
type changePage struct {
	base
	Heading, About string
	For, ForURL    string // the citizen the change is about; "" for a birth
	Action         string
	Back           string
	Denied         string // why the form is shown disabled; "" when it is open
	Inputs         []inputView
	Problems       int    // boxes with a message
	Error, Detail  string // form-level message, and the technical reason if any

	// Visit is the citizen of another commune the form is for: where
	// their record came from; nil for a resident or a birth.
	Visit *visitorView
	// Token names this form across its review and submission, so that the
	// same form never records two changes (formtoken.go).
	Token string
	// Review: the form was checked and is shown for confirmation: Rows say
	// what will be recorded, the boxes travel hidden.
	Review bool
	Rows   []fieldRow
	// Grave: a rare act that closes a record (a death): the review asks
	// for an explicit confirmation, ConfirmError when it was not given.
	Grave        bool
	ConfirmError string
}

// inputView is one box as the template draws it.
type inputView struct {
	Name, Label, Value, Hint, Error, Detail string
	Kind                                    string // "select", "area" or "input"
	Wide, Required, Autofocus               bool
	DescribedBy                             string
	Mode, Placeholder                       string
	Size                                    int
	Options                                 []optionView
	Picker                                  *pickerView // an address picked from administrative units
}

type optionView struct {
	Value, Label string
	Selected     bool
}

// changeForm shows the form of the path's operation for the path's citizen.
func (s *Server) changeForm(w http.ResponseWriter, r *http.Request, sess session) {
	f, c, ok := s.formTarget(w, r, &sess)
	if !ok {
		return
	}
	page := s.changePage(r, &sess, f, c, s.initial(f, c, nil))
	s.renderPage(w, r, http.StatusOK, "change", page)
}

// changeSubmit records the path's operation for the path's citizen.
func (s *Server) changeSubmit(w http.ResponseWriter, r *http.Request, sess session) {
	f, c, ok := s.formTarget(w, r, &sess)
	if !ok {
		return
	}
	s.submit(w, r, &sess, f, c, nil)
}

// birthForm shows the birth registration form, filled from a parent's
// record when ?parent= names one.
func (s *Server) birthForm(w http.ResponseWriter, r *http.Request, sess session) {
	f, _ := formFor(registry.OpRegisterBirth)
	var parent *registry.Citizen
	if raw := r.URL.Query().Get("parent"); raw != "" {
		if id, msg := cleanID(langOf(r), raw); msg == "" {
			// A failed read only leaves the form empty: the officer types.
			parent, _ = s.cfg.Registry.Lookup(sess.officer.User, id)
		}
	}
	s.renderPage(w, r, http.StatusOK, "change", s.changePage(r, &sess, f, nil, s.initial(f, nil, parent)))
}

func (s *Server) birthSubmit(w http.ResponseWriter, r *http.Request, sess session) {
	f, _ := formFor(registry.OpRegisterBirth)
	s.submit(w, r, &sess, f, nil, nil)
}

// formTarget reads the path's operation and citizen, answering the request
// itself when either is wrong.
func (s *Server) formTarget(w http.ResponseWriter, r *http.Request, sess *session) (*opForm, *registry.Citizen, bool) {
	f, ok := formFor(registry.Op(r.PathValue("op")))
	if !ok || f.op == registry.OpRegisterBirth {
		s.renderError(w, r, sess, http.StatusNotFound, "error.notfound")
		return nil, nil, false
	}
	c, ok := s.lookupCitizen(w, r, sess)
	return f, c, ok
}

func (s *Server) changePage(r *http.Request, sess *session, f *opForm, c *registry.Citizen, values map[string]string) changePage {
	l := langOf(r)
	action := "/birth"
	if c != nil {
		action = "/citizen/" + url.PathEscape(c.ID) + "/change/" + string(f.op)
	}
	p := changePage{
		base:    s.base(r, sess, "change.title", action),
		Heading: opLabel(l, f.op),
		About:   l.T("about." + string(f.op)),
		Action:  action,
		Back:    "/",
		Token:   r.PostFormValue("form_token"),
		Grave:   f.grave,
	}
	if !validFormToken(p.Token) {
		p.Token = randomToken()
	}
	p.Title = p.Heading
	if c == nil {
		p.Nav = "birth"
	}
	if c != nil {
		p.For = l.T("change.for", c.Get(registry.FieldFullName), c.ID)
		p.ForURL = "/citizen/" + url.PathEscape(c.ID)
		p.Back = p.ForURL
	}
	switch {
	case !registry.OfficerMay(sess.officer.Role, f.op):
		p.Denied = l.T("change.supervisor", opLabel(l, f.op))
	case f.living && c != nil && c.Deceased():
		p.Denied = l.T("change.deceased")
	}
	for _, in := range f.inputs {
		v := inputOf(l, in, values[in.name])
		if s.hasPicker(in) {
			v.Picker = s.picker(r, in.name)
		}
		p.Inputs = append(p.Inputs, v)
	}
	if p.Denied == "" && len(p.Inputs) > 0 {
		p.Inputs[0].Autofocus = true
	}
	return p
}

// initial fills the boxes of a new form: a correction starts from the
// record, a birth from the parent's household and the commune of the node.
func (s *Server) initial(f *opForm, c *registry.Citizen, parent *registry.Citizen) map[string]string {
	v := make(map[string]string)
	if f.prefill && c != nil {
		for _, in := range f.inputs {
			if fld, ok := in.field(); ok {
				v[in.name] = displayInput(in, c.Get(fld))
			}
		}
	}
	switch f.op {
	case registry.OpRegisterPermanent:
		v["commune"] = s.commune()
	case registry.OpRegisterBirth:
		v["nationality"], v["commune"] = "Việt Nam", s.commune()
		if parent != nil {
			fillFromParent(v, parent)
		}
	}
	return v
}

// fillFromParent copies what a newborn usually shares with the parent; the
// officer checks and corrects it before recording.
func fillFromParent(v map[string]string, p *registry.Citizen) {
	role := "father"
	if p.Get(registry.FieldSex) == registry.SexFemale {
		role = "mother"
	}
	v[role+"_id"], v[role+"_name"] = p.ID, p.Get(registry.FieldFullName)
	for _, f := range []registry.Field{registry.FieldPermanentAddress, registry.FieldCurrentAddress,
		registry.FieldCommune, registry.FieldHousehold, registry.FieldEthnicity, registry.FieldHometown} {
		if x := p.Get(f); x != "" {
			v[f.String()] = x
		}
	}
	if registry.FoldName(p.Get(registry.FieldRelation)) == headRelation {
		v["relation"] = "Con"
	}
}

// commune is the node's commune code, "" when the status cannot be read.
func (s *Server) commune() string {
	st, err := s.cfg.Registry.Status()
	if err != nil {
		return ""
	}
	return st.Commune
}

// displayInput shows a record value the way the officer types it.
func displayInput(in input, v string) string {
	if in.kind == inDate {
		if d, err := registry.ParseDate(v); err == nil {
			return d.Display()
		}
	}
	return v
}

func inputOf(l i18n.Lang, in input, value string) inputView {
	v := inputView{Name: in.name, Value: value, Required: in.required, Kind: "input", Label: l.T("field." + in.name)}
	if in.label != "" {
		v.Label = l.T(in.label)
	}
	hint := in.hint
	switch in.kind {
	case inLong:
		v.Wide = true
		if strings.HasSuffix(in.name, "address") || in.name == "absence" {
			hint = orKey(hint, "hint.address")
		}
	case inArea:
		v.Kind = "area"
	case inDate:
		v.Mode, v.Size, v.Placeholder = "numeric", 12, l.T("date.placeholder")
		hint = orKey(hint, "hint.date")
		if in.rule == datePast || in.rule == dateAnyPartly {
			hint = orKey(in.hint, "hint.date.partial")
		}
	case inID:
		v.Mode, v.Size, hint = "numeric", 16, orKey(hint, "hint.id")
	case inOldID:
		v.Mode, v.Size = "numeric", 11
	case inCommune:
		v.Mode, v.Size, hint = "numeric", 7, orKey(hint, "hint.commune")
	case inCode:
		v.Size, hint = 16, orKey(hint, "hint.household")
	case inSex:
		v.Kind = "select"
		for _, o := range []struct{ value, key string }{{"", "form.select"}, {registry.SexMale, "sex.M"}, {registry.SexFemale, "sex.F"}} {
			v.Options = append(v.Options, optionView{Value: o.value, Label: l.T(o.key), Selected: o.value == value})
		}
	case inChoice:
		v.Kind = "select"
		v.Options = append(v.Options, optionView{Value: "", Label: l.T("form.select"), Selected: value == ""})
		for _, o := range in.choices {
			v.Options = append(v.Options, optionView{Value: o.value, Label: l.T(o.key), Selected: o.value == value})
		}
	}
	if hint != "" {
		v.Hint = l.T(hint)
	}
	v.describe()
	return v
}

func orKey(key, def string) string {
	if key != "" {
		return key
	}
	return def
}

// describe links the box to its hint and message for screen readers.
func (v *inputView) describe() {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, "f-"+v.Name+"-hint")
	}
	if v.Error != "" {
		ids = append(ids, "f-"+v.Name+"-error")
	}
	v.DescribedBy = strings.Join(ids, " ")
}

// submit checks a posted form. A form that needs fixing comes back with
// the officer's input and a message next to each box; a good one is shown
// for review, and only its confirmation (confirm=1, with the form's
// token) records it, once, and goes to the outbox where its outcome will
// appear. "edit" on the review goes back to the boxes. visit is the
// citizen of another commune the form is for (c is then ignored), nil for
// a resident or a birth.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, sess *session, f *opForm, c *registry.Citizen, visit *Visit) {
	l := langOf(r)
	values := make(map[string]string, len(f.inputs))
	for _, in := range f.inputs {
		values[in.name] = r.PostForm.Get(in.name)
	}
	s.composeAddresses(r, f, values)
	var p changePage
	if visit != nil {
		c = visit.Record
		p = s.visitorChangePage(r, sess, f, visit, values)
	} else {
		p = s.changePage(r, sess, f, c, values)
	}
	if r.PostForm.Get("pick") != "" {
		// A province was picked without a script: its communes, nothing recorded.
		for i := range p.Inputs {
			p.Inputs[i].Autofocus = p.Inputs[i].Name == r.PostForm.Get("pick")
		}
		s.renderPage(w, r, http.StatusOK, "change", p)
		return
	}
	if p.Denied != "" {
		status := http.StatusUnprocessableEntity
		if !registry.OfficerMay(sess.officer.Role, f.op) {
			s.log.Warn("change refused: role", "user", sess.officer.User, "role", sess.officer.Role, "op", f.op)
			status = http.StatusForbidden
		}
		s.renderPage(w, r, status, "change", p)
		return
	}
	d, ok := s.draft(l, &p, f, c, values)
	if ok && visit != nil {
		ok = s.movesHere(l, &p, f, d)
	}
	switch {
	case !ok:
	case r.PostForm.Get("edit") != "":
		s.renderPage(w, r, http.StatusOK, "change", p)
		return
	case r.PostForm.Get("confirm") == "" || !validFormToken(r.PostForm.Get("form_token")):
		s.review(w, r, &p, f, d, http.StatusOK)
		return
	case f.grave && r.PostForm.Get("confirm_grave") != "1":
		p.ConfirmError = l.T("review.grave.missing")
		s.review(w, r, &p, f, d, http.StatusUnprocessableEntity)
		return
	default:
		d.Officer, d.Visit = sess.officer.User, visit
		id, fresh, err := s.forms.once(r.Context(), sess.officer.User, p.Token, func() (string, error) {
			ch, err := s.cfg.Registry.Record(d)
			if err != nil {
				return "", err
			}
			return ch.ID(), nil
		})
		if err == nil {
			switch {
			case fresh && visit != nil:
				s.log.Info("change recorded for a visitor", "user", sess.officer.User, "change", id, "op", f.op, "source", visit.Source)
			case fresh:
				s.log.Info("change recorded", "user", sess.officer.User, "change", id, "op", f.op)
			default:
				s.log.Info("form sent again: change already recorded", "user", sess.officer.User, "change", id, "op", f.op)
			}
			http.Redirect(w, r, "/outbox?recorded="+url.QueryEscape(id), http.StatusSeeOther)
			return
		}
		if !errors.Is(err, registry.ErrField) && !errors.Is(err, registry.ErrChange) {
			s.log.Error("recording failed", "user", sess.officer.User, "op", f.op, "err", err)
			p.Error = l.T("record.failed")
			s.renderPage(w, r, http.StatusInternalServerError, "change", p)
			return
		}
		p.refused(l, err)
	}
	p.focusFirstProblem()
	s.renderPage(w, r, http.StatusUnprocessableEntity, "change", p)
}

// review shows what the form will record, field by field as the record
// shows it, with the boxes carried hidden for the confirmation.
func (s *Server) review(w http.ResponseWriter, r *http.Request, p *changePage, f *opForm, d Draft, status int) {
	l := langOf(r)
	p.Review = true
	p.Title = l.T("review.title", p.Heading)
	for _, in := range f.inputs {
		var v string
		switch {
		case in.name == inputProcedure:
			v = d.Procedure
		case in.name == inputNote:
			v = d.Note
		default:
			v = displayValue(l, in.name, d.Patch[in.name])
		}
		if v != "" {
			p.Rows = append(p.Rows, fieldRow{p.labelOf(in.name), v})
		}
	}
	s.renderPage(w, r, status, "change", p)
}

// labelOf is the label of the form's box name.
func (p *changePage) labelOf(name string) string {
	for _, in := range p.Inputs {
		if in.Name == name {
			return in.Label
		}
	}
	return name
}

// draft checks every box and builds the draft; false when a box needs
// fixing (its message is set on p).
func (s *Server) draft(l i18n.Lang, p *changePage, f *opForm, c *registry.Citizen, values map[string]string) (Draft, bool) {
	today := s.today()
	d := Draft{Op: f.op, Patch: make(map[string]string)}
	if c != nil {
		d.Citizen = c.ID
	}
	for i, in := range f.inputs {
		v, key, args := canonical(in, values[in.name], today)
		if key == "" && in.name == "death_date" && c != nil {
			key, args = beforeBirth(v, c)
		}
		if key == "form.required" || key == "form.choose" {
			args = []any{p.Inputs[i].Label} // the box is named: the summary reads it out
		}
		if key != "" {
			p.setError(i, l.T(key, args...), "")
			continue
		}
		fld, isField := in.field()
		switch {
		case in.name == inputProcedure:
			d.Procedure = v
		case in.name == inputNote:
			d.Note = v
		case f.prefill && isField && c != nil:
			if v != c.Get(fld) {
				d.Patch[in.name] = v
			}
		case v != "":
			d.Patch[in.name] = v
		}
	}
	for k, v := range f.set {
		d.Patch[k] = v
	}
	if f.op == registry.OpRegisterTemporary && p.Problems == 0 {
		p.checkTemporary(l, d.Patch)
	}
	if p.Problems > 0 {
		p.Error = l.T("change.fix", p.Problems)
		return d, false
	}
	if f.prefill && len(d.Patch) == 0 {
		p.Error = l.T("change.unchanged")
		return d, false
	}
	return d, true
}

// checkTemporary applies the rules that join boxes of a temporary
// residence (registry's validateTemporary): the start before the end; a
// place the citizen owns needs nobody's consent, any other its owner's.
func (p *changePage) checkTemporary(l i18n.Lang, patch map[string]string) {
	at := func(name string) int {
		for i := range p.Inputs {
			if p.Inputs[i].Name == name {
				return i
			}
		}
		return -1
	}
	if from, until := patch["temporary_from"], patch["temporary_until"]; from != "" && until != "" && from >= until {
		d, _ := registry.ParseDate(from)
		p.setError(at("temporary_until"), l.T("form.until.before", d.Display()), "")
	}
	switch basis := patch["residence_basis"]; {
	case basis == registry.BasisOwn:
		patch["owner_consent"] = registry.ConsentOwner
	case basis != "" && patch["owner_consent"] != registry.ConsentAgreed:
		p.setError(at("owner_consent"), l.T("form.consent"), "")
	}
}

// beforeBirth refuses a death date before the recorded birth date.
func beforeBirth(death string, c *registry.Citizen) (string, []any) {
	dd, _ := registry.ParseDate(death)
	born := c.BirthDate()
	if born.Day != 0 && dateAfter(born, dd) {
		return "change.beforebirth", []any{born.Display()}
	}
	return "", nil
}

func (p *changePage) setError(i int, msg, detail string) {
	if p.Inputs[i].Error == "" {
		p.Problems++
	}
	p.Inputs[i].Error, p.Inputs[i].Detail = msg, detail
	p.Inputs[i].describe()
}

// refused puts the node's refusal next to the box of the field it names
// (registry's errors name fields by wire name), or above the form.
func (p *changePage) refused(l i18n.Lang, err error) {
	msg := err.Error()
	best := -1
	for i, in := range p.Inputs {
		if namesField(msg, in.Name) && (best < 0 || len(in.Name) > len(p.Inputs[best].Name)) {
			best = i
		}
	}
	if best < 0 {
		p.Error, p.Detail = l.T("record.invalid"), msg
		return
	}
	key := "change.refused"
	if strings.Contains(msg, "requires "+p.Inputs[best].Name) {
		key = "form.required"
	}
	p.setError(best, l.T(key, p.Inputs[best].Label), msg)
	p.Error = l.T("change.fix", p.Problems)
}

// namesField reports whether msg mentions name as a whole word, so that
// "absence" is not found inside "absence_end".
func namesField(msg, name string) bool {
	word := func(b byte) bool { return b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	for i := 0; ; {
		j := strings.Index(msg[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !word(msg[start-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = start + 1
	}
}

func (p *changePage) focusFirstProblem() {
	for i := range p.Inputs {
		p.Inputs[i].Autofocus = false
	}
	for i := range p.Inputs {
		if p.Inputs[i].Error != "" {
			p.Inputs[i].Autofocus = true
			return
		}
	}
}
