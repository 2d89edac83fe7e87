package webui

import (
	"net/http"
	"strings"
)

// Units lists the administrative units addresses are picked from: since
// 1 July 2025 two levels, province and commune (xã, phường, đặc khu).
// Both methods are called from request handlers, concurrently, and must
// not block; an unknown province has no communes.
type Units interface {
	Provinces() []Unit
	Communes(province string) []Unit
}

// Unit is one administrative unit: its code and its name as written in
// addresses ("Phường Xuân Khánh", "Thành phố Cần Thơ").
type Unit struct{ Code, Name string }

// An address box with a picker: the officer types the house, street and
// hamlet, and picks the province and then the commune; the address
// recorded is "detail, commune, province". Without a script the province
// is picked with a button that shows the form again with its communes
// (pick=<box name>); nothing is recorded then. A place missing from the
// lists is still typed whole into the address box, which the picker
// overrides only when a commune is picked. The box's parts are named
// <box>_detail, <box>_province, <box>_commune.

// pickerView is the picker of one address box.
type pickerView struct {
	Detail    string
	Provinces []optionView
	Communes  []optionView // of the province picked; none before
	Province  string       // code picked
}

// hasPicker reports whether an input gets a picker: an address box, when
// the UI has units to pick from.
func (s *Server) hasPicker(in input) bool {
	return s.cfg.Units != nil && in.kind == inLong && strings.HasSuffix(in.name, "_address")
}

// picker builds the picker of box name from what the form posted.
func (s *Server) picker(r *http.Request, name string) *pickerView {
	p := &pickerView{Detail: r.PostFormValue(name + "_detail"), Province: r.PostFormValue(name + "_province")}
	commune := r.PostFormValue(name + "_commune")
	for _, u := range s.cfg.Units.Provinces() {
		p.Provinces = append(p.Provinces, optionView{Value: u.Code, Label: u.Name, Selected: u.Code == p.Province})
	}
	if p.Province != "" {
		for _, u := range s.cfg.Units.Communes(p.Province) {
			p.Communes = append(p.Communes, optionView{Value: u.Code, Label: u.Name, Selected: u.Code == commune})
		}
	}
	return p
}

// composeAddresses turns the pickers' parts into the address boxes'
// values: "detail, commune, province" when a commune of the province was
// picked. A permanent address picked this way also gives the commune
// code of the registration.
func (s *Server) composeAddresses(r *http.Request, f *opForm, values map[string]string) {
	if s.cfg.Units == nil {
		return
	}
	for _, in := range f.inputs {
		if !s.hasPicker(in) {
			continue
		}
		province, commune := r.PostFormValue(in.name+"_province"), r.PostFormValue(in.name+"_commune")
		if province == "" || commune == "" {
			continue
		}
		var pName, cName string
		for _, u := range s.cfg.Units.Provinces() {
			if u.Code == province {
				pName = u.Name
			}
		}
		for _, u := range s.cfg.Units.Communes(province) {
			if u.Code == commune {
				cName = u.Name
			}
		}
		if pName == "" || cName == "" {
			continue
		}
		parts := []string{cName, pName}
		if d := strings.TrimSpace(r.PostFormValue(in.name + "_detail")); d != "" {
			parts = append([]string{d}, parts...)
		}
		values[in.name] = strings.Join(parts, ", ")
		if _, ok := values["commune"]; ok && in.name == "permanent_address" {
			values["commune"] = commune
		}
	}
}
