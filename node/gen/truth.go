package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// The truth file is JSON Lines: a header line first, then one line per
// defect and per read, each naming its kind:
//
//	{"kind":"header","as_of":"2026-06-30","commune":"92101","citizens":100123,"seed":1,"per_rule":100}
//	{"kind":"defect","rule":"duplicate","citizen":"…","other":"…","what":"registered again as «…» (a typo)"}
//	{"kind":"defect","rule":"household_head","citizen":"…","household":"HK92101-000042","what":"…"}
//	{"kind":"defect","rule":"chip_mismatch","citizen":"…","field":"birth_date","what":"…"}
//	{"kind":"read","citizen":"…","assurance":"chip-verified","date":"2026-06-12","fields":{"full_name":"…"}}
//
// ReadTruth accepts only that: unknown keys, rules or fields, a record ID
// that is not a personal ID, a line of another kind's keys, or a second
// header are refused with the line number.

// ErrTruth is wrapped by every error reading a truth file.
var ErrTruth = errors.New("gen: truth file")

type truthLine struct {
	Kind      string            `json:"kind"`
	AsOf      string            `json:"as_of,omitempty"`
	Commune   string            `json:"commune,omitempty"`
	Citizens  int               `json:"citizens,omitempty"`
	Seed      int64             `json:"seed,omitempty"`
	PerRule   int               `json:"per_rule,omitempty"`
	Rule      string            `json:"rule,omitempty"`
	Citizen   string            `json:"citizen,omitempty"`
	Other     string            `json:"other,omitempty"`
	Household string            `json:"household,omitempty"`
	Field     string            `json:"field,omitempty"`
	What      string            `json:"what,omitempty"`
	Assurance string            `json:"assurance,omitempty"`
	Date      string            `json:"date,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// WriteTruth writes t as a truth file.
func WriteTruth(w io.Writer, t *Truth) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(truthLine{Kind: "header", AsOf: t.AsOf.String(), Commune: t.Commune, Citizens: t.Citizens,
		Seed: t.Seed, PerRule: t.PerRule}); err != nil {
		return err
	}
	for _, d := range t.Defects {
		l := truthLine{Kind: "defect", Rule: string(d.Rule), Citizen: d.Citizen, Other: d.Other, Household: d.Household, What: d.What}
		if d.Field != 0 {
			l.Field = d.Field.String()
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	for _, r := range t.Reads {
		l := truthLine{Kind: "read", Citizen: r.Citizen, Assurance: r.Assurance, Date: r.Date.String(), Fields: map[string]string{}}
		for f, v := range r.Fields {
			l.Fields[f.String()] = v
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadTruth reads a truth file.
func ReadTruth(r io.Reader) (*Truth, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineLen)
	var t *Truth
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var l truthLine
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTruth, line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: line %d: more than one value", ErrTruth, line)
		}
		if (l.Kind == "header") != (t == nil) {
			return nil, fmt.Errorf("%w: line %d: the header must come first, once", ErrTruth, line)
		}
		var err error
		switch l.Kind {
		case "header":
			t, err = l.header()
		case "defect":
			var d Defect
			if d, err = l.defect(); err == nil {
				t.Defects = append(t.Defects, d)
			}
		case "read":
			var rd Read
			if rd, err = l.read(); err == nil {
				t.Reads = append(t.Reads, rd)
			}
		default:
			err = fmt.Errorf("unknown kind %q", l.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTruth, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: after line %d: %v", ErrTruth, line, err)
	}
	if t == nil {
		return nil, fmt.Errorf("%w: no header", ErrTruth)
	}
	return t, nil
}

func (l *truthLine) header() (*Truth, error) {
	if l.Rule != "" || l.Citizen != "" || l.Other != "" || l.Household != "" || l.Field != "" || l.What != "" ||
		l.Assurance != "" || l.Date != "" || l.Fields != nil {
		return nil, errors.New("a header has only as_of, commune, citizens, seed and per_rule")
	}
	d, err := registry.ParseDate(l.AsOf)
	if err != nil || d.Day == 0 {
		return nil, fmt.Errorf("as_of %q is not a full date", l.AsOf)
	}
	if l.Citizens < 0 || l.PerRule < 0 {
		return nil, errors.New("negative counts")
	}
	return &Truth{AsOf: d, Commune: l.Commune, Citizens: l.Citizens, Seed: l.Seed, PerRule: l.PerRule}, nil
}

func personal(id string) error {
	_, err := registry.ParseID(id)
	return err
}

func (l *truthLine) defect() (Defect, error) {
	if l.AsOf != "" || l.Commune != "" || l.Citizens != 0 || l.Seed != 0 || l.PerRule != 0 || l.Assurance != "" || l.Date != "" || l.Fields != nil {
		return Defect{}, errors.New("a defect has only rule, citizen, other, household, field and what")
	}
	d := Defect{Rule: quality.Rule(l.Rule), Citizen: l.Citizen, Other: l.Other, Household: l.Household, What: l.What}
	if _, ok := quality.Info(d.Rule); !ok {
		return Defect{}, fmt.Errorf("unknown rule %q", l.Rule)
	}
	if err := personal(d.Citizen); err != nil {
		return Defect{}, err
	}
	if (d.Rule == quality.RuleDuplicate) != (d.Other != "") {
		return Defect{}, errors.New("other names the second record of a duplicate, and only that")
	}
	if d.Other != "" {
		if err := personal(d.Other); err != nil {
			return Defect{}, err
		}
	}
	if (d.Rule == quality.RuleHouseholdHead) != (d.Household != "") {
		return Defect{}, errors.New("household names the household of a household_head defect, and only that")
	}
	if (d.Rule == quality.RuleChipMismatch) != (l.Field != "") {
		return Defect{}, errors.New("field names the field of a chip_mismatch defect, and only that")
	}
	if l.Field != "" {
		f, ok := registry.FieldByName(l.Field)
		if !ok {
			return Defect{}, fmt.Errorf("unknown field %q", l.Field)
		}
		d.Field = f
	}
	return d, nil
}

func (l *truthLine) read() (Read, error) {
	if l.AsOf != "" || l.Commune != "" || l.Citizens != 0 || l.Seed != 0 || l.PerRule != 0 || l.Rule != "" ||
		l.Other != "" || l.Household != "" || l.Field != "" || l.What != "" {
		return Read{}, errors.New("a read has only citizen, assurance, date and fields")
	}
	if err := personal(l.Citizen); err != nil {
		return Read{}, err
	}
	d, err := registry.ParseDate(l.Date)
	if err != nil {
		return Read{}, err
	}
	r := Read{Citizen: l.Citizen, Assurance: l.Assurance, Date: d, Fields: map[registry.Field]string{}}
	names := make([]string, 0, len(l.Fields))
	for name := range l.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := registry.FieldByName(name)
		if !ok {
			return Read{}, fmt.Errorf("unknown field %q", name)
		}
		r.Fields[f] = l.Fields[name]
	}
	return r, nil
}
