package webui

import (
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// section groups record fields the way the paper residence forms do.
type section struct {
	titleKey string
	fields   []registry.Field
}

// recordSections is the order of the record page. Every registry field
// appears exactly once (a test checks it, so a new field is not forgotten).
var recordSections = []section{
	{"section.identity", []registry.Field{
		registry.FieldFullName, registry.FieldOtherName, registry.FieldBirthDate, registry.FieldSex,
		registry.FieldNationality, registry.FieldEthnicity, registry.FieldReligion,
		registry.FieldBirthPlace, registry.FieldHometown, registry.FieldFeatures,
	}},
	{"section.residence", []registry.Field{
		registry.FieldPermanentAddress, registry.FieldTemporaryAddress, registry.FieldTemporaryFrom,
		registry.FieldTemporaryUntil, registry.FieldResidenceBasis, registry.FieldOwnerConsent,
		registry.FieldCurrentAddress, registry.FieldAbsence, registry.FieldAbsenceEnd, registry.FieldCommune,
	}},
	{"section.family", []registry.Field{
		registry.FieldHousehold, registry.FieldRelation, registry.FieldFatherName, registry.FieldFatherID,
		registry.FieldMotherName, registry.FieldMotherID, registry.FieldSpouseName, registry.FieldSpouseID,
	}},
	{"section.documents", []registry.Field{
		registry.FieldOldID, registry.FieldCardNumber, registry.FieldCardIssued, registry.FieldCardExpiry,
		registry.FieldStatus, registry.FieldDeathDate,
	}},
}

// dateFields hold registry dates, shown as dd/mm/yyyy.
var dateFields = map[registry.Field]bool{
	registry.FieldBirthDate: true, registry.FieldTemporaryUntil: true, registry.FieldCardIssued: true,
	registry.FieldCardExpiry: true, registry.FieldDeathDate: true, registry.FieldAbsenceEnd: true,
	registry.FieldTemporaryFrom: true,
}

// basisKeys and consentKeys name the coded values of temporary residence.
var (
	basisKeys = map[string]string{
		registry.BasisOwn: "basis.own", registry.BasisRent: "basis.rent", registry.BasisBorrow: "basis.borrow",
		registry.BasisLodge: "basis.lodge", registry.BasisOther: "basis.other",
	}
	consentKeys = map[string]string{registry.ConsentAgreed: "consent.agreed", registry.ConsentOwner: "consent.owner"}
)

// fieldLabel is the field's name in l; a name that is not a registry field
// (a chip may carry extras) is shown as it is.
func fieldLabel(l i18n.Lang, name string) string {
	if _, ok := registry.FieldByName(name); !ok {
		return name
	}
	return l.T("field." + name)
}

// displayValue shows a field value as an officer reads it: dates as
// dd/mm/yyyy, sex and status in words. A value that does not parse is shown
// as it is, never hidden.
func displayValue(l i18n.Lang, name, v string) string {
	f, ok := registry.FieldByName(name)
	if !ok || v == "" {
		return v
	}
	switch {
	case dateFields[f]:
		if d, err := registry.ParseDate(v); err == nil {
			return d.Display()
		}
	case f == registry.FieldSex && (v == registry.SexMale || v == registry.SexFemale):
		return l.T("sex." + v)
	case f == registry.FieldStatus && (v == registry.StatusAlive || v == registry.StatusDeceased):
		return l.T("status." + v)
	case f == registry.FieldResidenceBasis && basisKeys[v] != "":
		return l.T(basisKeys[v])
	case f == registry.FieldOwnerConsent && consentKeys[v] != "":
		return l.T(consentKeys[v])
	}
	return v
}

// timeLayout is the same in both languages: officers in Vietnam read
// day/month whatever the UI language.
const timeLayout = "02/01/2006 15:04"

func (s *Server) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.cfg.Location).Format(timeLayout)
}

// age says how long ago t was, in the coarsest unit that is still useful.
func age(l i18n.Lang, d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.T("age.seconds", max(0, int(d/time.Second)))
	case d < time.Hour:
		return l.T("age.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return l.T("age.hours", int(d/time.Hour))
	}
	return l.T("age.days", int(d/(24*time.Hour)))
}

// today is the calendar day in the UI's time zone, as a registry Date.
func (s *Server) today() registry.Date {
	y, m, d := s.cfg.Now().In(s.cfg.Location).Date()
	return registry.Date{Year: y, Month: int(m), Day: d}
}

// dateAfter compares two dates part by part; an unknown month or day
// counts as before any known one.
func dateAfter(a, b registry.Date) bool {
	if a.Year != b.Year {
		return a.Year > b.Year
	}
	if a.Month != b.Month {
		return a.Month > b.Month
	}
	return a.Day > b.Day
}

// addYears is the same calendar day n years later; 29 February becomes
// 1 March in a year without one (time.Date normalises it).
func addYears(d registry.Date, n int) registry.Date {
	y, m, day := time.Date(d.Year+n, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Date()
	return registry.Date{Year: y, Month: int(m), Day: day}
}

// addDays is the calendar day n days after a full date d.
func addDays(d registry.Date, n int) registry.Date {
	y, m, day := toTime(d).AddDate(0, 0, n).Date()
	return registry.Date{Year: y, Month: int(m), Day: day}
}

// toTime is the start of a full date's day in UTC, for registry.Date.After.
func toTime(d registry.Date) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}
