package webui

import (
	"strings"
	"unicode"

	"github.com/xanode/xanode/node/registry"
)

// inputKind says how a box is shown and how what is typed in it is checked.
type inputKind uint8

const (
	inText    inputKind = iota // one short line of text
	inLong                     // an address or other long line: a wide box
	inArea                     // several lines of free text
	inDate                     // a date typed dd/mm/yyyy
	inID                       // a 12-digit personal ID
	inOldID                    // the 9-digit ID of the old card (CMND)
	inSex                      // a choice of male or female
	inCommune                  // a 5-digit administrative unit code
	inCode                     // a household code: printable ASCII
	inChoice                   // one of input.choices
)

// dateRule says which dates a date box accepts, counted from today.
type dateRule uint8

const (
	datePast      dateRule = iota // full or partial, not after today: a birth date being corrected
	dayPast                       // a full date, not after today: a birth, a death
	dayFuture                     // a full date after today: the end of an absence
	dayTemporary                  // a full date after today, at most maxTemporaryYears ahead
	dateAnyPartly                 // full or partial, any time: a search
	dayStart                      // a full date from a year ago to maxStartAhead ahead: a residence's start
)

// maxStartAhead is how far ahead a temporary residence may start: the
// dossier is filed before moving in, rarely long before.
const maxStartAheadDays = 60

// maxTemporaryYears is the longest temporary residence one registration
// grants (Luật Cư trú 2020, Điều 27: at most 2 years, renewable).
const maxTemporaryYears = 2

// The form boxes that are not record fields.
const (
	inputProcedure = "procedure" // Draft.Procedure: the dossier reference
	inputNote      = "note"      // Draft.Note: grounds, result or remark
)

// input is one box of a change form. Record fields are named by their
// registry wire name, so that a registry error naming a field can be put
// next to its box.
type input struct {
	name     string
	kind     inputKind
	required bool
	rule     dateRule // inDate only
	label    string   // catalog key; "" means "field."+name
	hint     string   // catalog key; "" means the kind's usual hint, if any
	choices  []choice // inChoice only
}

// choice is one option of an inChoice box: the value recorded and the
// catalog key of its label.
type choice struct{ value, key string }

var (
	basisChoices = []choice{{registry.BasisOwn, "basis.own"}, {registry.BasisRent, "basis.rent"},
		{registry.BasisBorrow, "basis.borrow"}, {registry.BasisLodge, "basis.lodge"}, {registry.BasisOther, "basis.other"}}
	consentChoices = []choice{{registry.ConsentAgreed, "consent.agreed"}, {registry.ConsentOwner, "consent.owner"}}
)

func choose(name string, required bool, choices []choice, hint string) input {
	return input{name: name, kind: inChoice, required: required, choices: choices, hint: hint}
}

// opForm is the form of one change operation. Its inputs are checked
// against registry's rules for the operation by a test that records a
// filled form through Change.Validate: a required field missing here, or a
// field the operation may not set, fails it.
type opForm struct {
	op     registry.Op
	inputs []input
	// set are patch entries the form adds by itself: a death sets the
	// status, which the officer does not type.
	set map[string]string
	// living: only for a citizen who is alive.
	living bool
	// prefill: the boxes start with the record's values and only what the
	// officer changed is sent (a correction rewrites nothing by accident).
	prefill bool
	// grave: it closes a record for good (a death): the record page sets it
	// apart, and the review asks for an explicit confirmation.
	grave bool
	// rare: offered apart from the everyday forms on the record page.
	rare bool
}

func text(name string, required bool) input {
	return input{name: name, kind: inText, required: required}
}
func long(name string, required bool) input {
	return input{name: name, kind: inLong, required: required}
}
func date(name string, required bool, rule dateRule) input {
	return input{name: name, kind: inDate, required: required, rule: rule}
}
func typed(name string, kind inputKind, required bool) input {
	return input{name: name, kind: kind, required: required}
}

// procedure and note close every form: the dossier reference and a remark.
func procedure(required bool) input {
	return input{name: inputProcedure, kind: inText, required: required, label: "form.procedure"}
}
func note(label string, required bool) input {
	return input{name: inputNote, kind: inArea, required: required, label: label}
}

// opForms are the forms, in the order the record page offers them; the
// birth form is reached from a parent's record or from the home page.
var opForms = []opForm{
	{op: registry.OpRegisterTemporary, living: true, inputs: []input{
		long("temporary_address", true), date("temporary_from", true, dayStart), date("temporary_until", true, dayTemporary),
		choose("residence_basis", true, basisChoices, "hint.basis"), choose("owner_consent", false, consentChoices, "hint.consent"),
		long("current_address", false), procedure(false), note("form.note", false),
	}},
	{op: registry.OpRegisterPermanent, living: true, inputs: []input{
		long("permanent_address", true), typed("commune", inCommune, true), long("current_address", false),
		typed("household", inCode, false), text("relation", false), procedure(false), note("form.note", false),
	}},
	{op: registry.OpDeclareAbsence, living: true, inputs: []input{
		long("absence", true), date("absence_end", false, dayFuture), procedure(false), note("form.reason", false),
	}},
	{op: registry.OpHousehold, living: true, inputs: []input{
		typed("household", inCode, true), text("relation", false), procedure(false), note("form.note", false),
	}},
	{op: registry.OpProcedure, inputs: []input{procedure(true), note("form.result", true)}},
	{op: registry.OpCorrect, prefill: true, rare: true, inputs: []input{
		text("full_name", false), text("other_name", false), date("birth_date", false, datePast),
		typed("sex", inSex, false), text("nationality", false), text("ethnicity", false), text("religion", false),
		long("birth_place", false), long("hometown", false),
		typed("father_id", inID, false), text("father_name", false),
		typed("mother_id", inID, false), text("mother_name", false),
		typed("spouse_id", inID, false), text("spouse_name", false),
		typed("old_id", inOldID, false), long("features", false),
		procedure(false), note("form.grounds", true),
	}},
	{op: registry.OpRegisterDeath, living: true, grave: true, rare: true, set: map[string]string{"status": registry.StatusDeceased}, inputs: []input{
		date("death_date", true, dayPast), procedure(false), note("form.note", false),
	}},
	{op: registry.OpRegisterBirth, inputs: []input{
		text("full_name", true), date("birth_date", true, dayPast), typed("sex", inSex, true),
		text("nationality", false), text("ethnicity", false), text("religion", false),
		long("birth_place", false), long("hometown", false),
		typed("father_id", inID, false), text("father_name", false),
		typed("mother_id", inID, false), text("mother_name", false),
		long("permanent_address", false), long("current_address", false), typed("commune", inCommune, true),
		typed("household", inCode, false), text("relation", false),
		procedure(false), note("form.note", false),
	}},
}

// formFor returns the form of op.
func formFor(op registry.Op) (*opForm, bool) {
	for i := range opForms {
		if opForms[i].op == op {
			return &opForms[i], true
		}
	}
	return nil, false
}

// field is the record field an input sets; false for procedure and note.
func (in input) field() (registry.Field, bool) { return registry.FieldByName(in.name) }

// canonical checks what the officer typed in one box and returns the value
// to record, or the catalog key of the message (with its arguments) that
// says what is wrong. today is the office's calendar day.
func canonical(in input, raw string, today registry.Date) (string, string, []any) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if in.required {
			if in.kind == inSex || in.kind == inChoice {
				return "", "form.choose", nil
			}
			return "", "form.required", nil
		}
		return "", "", nil
	}
	switch in.kind {
	case inDate:
		return checkDate(in.rule, raw, today)
	case inID:
		id := strings.Map(dropSeparators, raw)
		if _, err := registry.ParseID(id); err != nil {
			return "", "form.id", nil
		}
		return id, "", nil
	case inOldID:
		id := strings.Map(dropSeparators, raw)
		if len(id) != 9 || !allDigits(id) {
			return "", "form.oldid", nil
		}
		return id, "", nil
	case inSex:
		if raw != registry.SexMale && raw != registry.SexFemale {
			return "", "form.choose", nil
		}
		return raw, "", nil
	case inChoice:
		for _, c := range in.choices {
			if c.value == raw {
				return raw, "", nil
			}
		}
		return "", "form.choose", nil
	case inCommune:
		if len(raw) != 5 || !allDigits(raw) {
			return "", "form.commune", nil
		}
		return raw, "", nil
	case inCode:
		if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r >= unicode.MaxASCII }) >= 0 {
			return "", "form.code", nil
		}
	}
	return checkText(in, raw)
}

// checkText applies the limits of the record (and of Change for the
// dossier reference and note) with messages an officer can act on.
func checkText(in input, raw string) (string, string, []any) {
	limit := registry.MaxValueLen
	if in.name == inputNote {
		limit = registry.MaxNoteLen
	}
	if len(raw) > limit {
		return "", "form.long", []any{limit}
	}
	control := func(r rune) bool {
		return unicode.IsControl(r) && (in.kind != inArea || r != '\n' && r != '\r' && r != '\t')
	}
	if strings.IndexFunc(raw, control) >= 0 {
		return "", "form.control", nil
	}
	if f, ok := in.field(); ok {
		v, err := f.Normalize(raw)
		if err != nil {
			return "", "form.control", nil
		}
		return v, "", nil
	}
	return raw, "", nil
}

func checkDate(rule dateRule, raw string, today registry.Date) (string, string, []any) {
	partial := rule == datePast || rule == dateAnyPartly
	d, ok := parseInputDate(raw)
	switch {
	case !ok && partial:
		return "", "form.date.partial", nil
	case !ok || (d.Day == 0 && !partial):
		return "", "form.date", nil
	}
	switch rule {
	case datePast, dayPast:
		if d.After(toTime(today)) {
			return "", "form.date.future", []any{today.Display()}
		}
	case dayStart:
		if earliest := addYears(today, -1); dateAfter(earliest, d) {
			return "", "form.date.old", []any{earliest.Display()}
		}
		if latest := addDays(today, maxStartAheadDays); dateAfter(d, latest) {
			return "", "form.date.ahead", []any{maxStartAheadDays, latest.Display()}
		}
	case dayFuture, dayTemporary:
		if !dateAfter(d, today) {
			return "", "form.date.past", []any{today.Display()}
		}
		if limit := addYears(today, maxTemporaryYears); rule == dayTemporary && dateAfter(d, limit) {
			return "", "form.date.far", []any{maxTemporaryYears, limit.Display()}
		}
	}
	return d.String(), "", nil
}

// parseInputDate reads a date the way officers write it: day/month/year
// with "/", "." or "-" between (leading zeros optional), month/year, a year
// alone, eight digits ddmmyyyy, or the ISO form yyyy-mm-dd.
func parseInputDate(raw string) (registry.Date, bool) {
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '/' || r == '.' || r == '-' })
	if len(parts) == 1 && len(raw) == 8 && allDigits(raw) {
		parts = []string{raw[:2], raw[2:4], raw[4:]}
	}
	for _, p := range parts {
		if p == "" || len(p) > 4 || !allDigits(p) {
			return registry.Date{}, false
		}
	}
	if len(parts) == 3 && len(parts[0]) == 4 { // yyyy-mm-dd
		parts[0], parts[2] = parts[2], parts[0]
	}
	pad := func(s string) string { return strings.Repeat("0", max(0, 2-len(s))) + s }
	var iso string
	switch {
	case len(parts) == 3 && len(parts[0]) <= 2 && len(parts[1]) <= 2 && len(parts[2]) == 4:
		iso = parts[2] + "-" + pad(parts[1]) + "-" + pad(parts[0])
	case len(parts) == 2 && len(parts[0]) <= 2 && len(parts[1]) == 4:
		iso = parts[1] + "-" + pad(parts[0])
	case len(parts) == 1 && len(parts[0]) == 4:
		iso = parts[0]
	default:
		return registry.Date{}, false
	}
	d, err := registry.ParseDate(iso)
	return d, err == nil
}

func dropSeparators(r rune) rune {
	switch r {
	case ' ', '.', '-', '\t':
		return -1
	}
	return r
}

func allDigits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
