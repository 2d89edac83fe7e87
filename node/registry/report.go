package registry

import (
	"fmt"
	"strings"
	"time"
)

// A commune's monthly report (DESIGN.md, "Reports"): the same figures
// whether the city computes them from its history or an edge from what it
// recorded, so that both count by one set of rules.

// Report is one commune's figures for one month.
type Report struct {
	Commune string    `json:"commune"`
	Month   string    `json:"month"` // YYYY-MM
	Made    time.Time `json:"made"`  // when it was computed
	// Source is who computed it: ReportCity (every office's changes and
	// the city's decisions) or ReportEdge (this office's changes only).
	Source string `json:"source"`
	// Residents counts the commune's records now, by status: at the time
	// the report was made, not at the month's end.
	Residents []Count `json:"residents"`
	// Changes counts, per operation, the changes recorded for the commune
	// in the month (by the officers' action time), by outcome.
	Changes []OpCount `json:"changes"`
	// MovesIn and MovesOut count the residents whose permanent residence
	// moved into or out of the commune in the month; -1: unknown (an
	// edge sees only what it recorded).
	MovesIn  int `json:"moves_in"`
	MovesOut int `json:"moves_out"`
	// Identifications counts card and QR reads by assurance level.
	Identifications []Count `json:"identifications"`
}

// Sources of a report.
const (
	ReportCity = "city"
	ReportEdge = "edge"
)

// Count is one line of figures.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// OpCount is how the changes of one operation fared.
type OpCount struct {
	Op       Op  `json:"op"`
	Recorded int `json:"recorded"`
	Applied  int `json:"applied"` // applied or merged
	Review   int `json:"review"`  // waiting for city IT's review
	Refused  int `json:"refused"` // rejected or superseded
	Waiting  int `json:"waiting"` // not decided yet (still in an edge's outbox)
}

// Keys of Report.Residents.
const (
	ResidentsAlive    = "alive"
	ResidentsDeceased = "deceased"
	ResidentsAbsent   = "absent" // alive, with a declared absence in force
)

// ReportOps are the operations a report counts, in its order.
var ReportOps = []Op{OpRegisterBirth, OpRegisterDeath, OpRegisterPermanent, OpRegisterTemporary,
	OpDeclareAbsence, OpHousehold, OpCorrect, OpProcedure}

// Assurances are the identification levels a report counts, strongest
// first (the reader's), and AssuranceOther for a note that names none.
var Assurances = []string{"chip-cloning-checked", "chip-verified", "chip-read", "qr", "typed"}

// AssuranceOther counts identifications whose level is not known.
const AssuranceOther = "other"

// ParseMonth reads YYYY-MM and returns the month's first instant and the
// next month's, in loc.
func ParseMonth(s string, loc *time.Location) (from, to time.Time, err error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil || len(s) != 7 {
		return time.Time{}, time.Time{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// NewReport starts an empty report with a line for every operation and
// assurance level.
func NewReport(commune, month, source string, made time.Time) *Report {
	r := &Report{Commune: commune, Month: month, Source: source, Made: made.UTC()}
	for _, op := range ReportOps {
		r.Changes = append(r.Changes, OpCount{Op: op})
	}
	for _, a := range append(append([]string(nil), Assurances...), AssuranceOther) {
		r.Identifications = append(r.Identifications, Count{Key: a})
	}
	for _, k := range []string{ResidentsAlive, ResidentsDeceased, ResidentsAbsent} {
		r.Residents = append(r.Residents, Count{Key: k})
	}
	return r
}

// CountResident adds a record of the commune to Residents; today decides
// whether a declared absence is still in force.
func (r *Report) CountResident(c *Citizen, today Date) {
	switch {
	case c.Merged(): // a retired duplicate: counted as the record it was merged into
	case c.Deceased():
		r.Residents[1].N++
	default:
		r.Residents[0].N++
		if c.Get(FieldAbsence) != "" {
			end, err := ParseDate(c.Get(FieldAbsenceEnd))
			if err != nil || end.Year == 0 || !before(end, today) {
				r.Residents[2].N++
			}
		}
	}
}

func before(a, b Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}

// CountChange adds one change of the month and its outcome (nil: not
// decided yet). An identification counts by the assurance its note
// starts with.
func (r *Report) CountChange(c *Change, o *Outcome) {
	if c.Op == OpIdentify {
		level, _, _ := strings.Cut(c.Note, ";")
		for i := range r.Identifications {
			if r.Identifications[i].Key == strings.TrimSpace(level) {
				r.Identifications[i].N++
				return
			}
		}
		r.Identifications[len(r.Identifications)-1].N++
		return
	}
	for i := range r.Changes {
		if r.Changes[i].Op != c.Op {
			continue
		}
		oc := &r.Changes[i]
		oc.Recorded++
		result := Result("")
		if o != nil {
			result = o.Result
			if result == Duplicate {
				result = o.Original
			}
		}
		switch result {
		case "":
			oc.Waiting++
		case Applied, Merged:
			oc.Applied++
		case NeedsReview:
			oc.Review++
		default:
			oc.Refused++
		}
	}
}
