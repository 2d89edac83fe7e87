package fleetui

import (
	"context"
	"sort"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// Quality is the city's data quality as city IT's dashboard sees it
// (DESIGN.md, "Data quality"). It is optional: a Fleet that also
// implements it gets the quality pages; package node implements it over
// the city API. Every method may be called concurrently and honours ctx;
// ReviewFinding goes through the city's raft log, once per submitted form.
// Errors wrap the Fleet error kinds.
type Quality interface {
	// QualityReport is every commune's figures now and at the end of
	// each past week, with the table of rules.
	QualityReport(ctx context.Context) (QualityReport, error)
	// Findings lists findings, problems first (open, confirmed, then
	// closed; newest first within a state).
	Findings(ctx context.Context, q FindingQuery) ([]Finding, error)
	// Citizen is one record as the city holds it, with its findings.
	Citizen(ctx context.Context, id string) (CitizenRecord, error)
	// ReviewFinding confirms, dismisses or reopens a finding, with a reason.
	ReviewFinding(ctx context.Context, id uint64, action, reason string) error
	// MergeFinding merges a duplicate pair: keep is the record that stays,
	// the other is retired into it. Through the raft log, like a review.
	MergeFinding(ctx context.Context, id uint64, keep, reason string) error
}

// The actions of ReviewFinding, and the states of a finding.
const (
	ActionConfirm = "confirm"
	ActionDismiss = "dismiss"
	ActionReopen  = "reopen"
	ActionMerge   = "merge" // a duplicate pair; the form names the record kept

	FindingOpen      = "open"
	FindingConfirmed = "confirmed"
	FindingFixed     = "fixed"
	FindingDismissed = "dismissed"
)

// QualityRule describes one rule.
type QualityRule struct {
	Rule     string
	Category string // correct, sufficient, clean, alive
	Exact    bool   // false: a likeness, for a person to judge (duplicates)
}

// QualityReport is the city's data-quality figures.
type QualityReport struct {
	On     bool // the rules run (the city swept at least once)
	Rules  []QualityRule
	Now    []QualityFigures
	Weekly []QualityFigures // one row per commune and past week, Week set
}

// QualityFigures are one commune's figures at one time.
type QualityFigures struct {
	Commune  string
	Week     time.Time // the Monday of a weekly row; zero: now
	Citizens int
	Alive    int
	Fields   map[string]int            // field → records stating it
	Findings map[string]map[string]int // rule → state → findings
}

// Active counts a rule's findings that need attention (open and
// confirmed); rule "" counts every rule's.
func (f QualityFigures) Active(rule string) int {
	n := 0
	for r, states := range f.Findings {
		if rule == "" || r == rule {
			n += states[FindingOpen] + states[FindingConfirmed]
		}
	}
	return n
}

// Complete is the share of records stating field, in percent.
func (f QualityFigures) Complete(field string) float64 {
	if f.Citizens == 0 {
		return 100
	}
	return 100 * float64(f.Fields[field]) / float64(f.Citizens)
}

// FindingQuery selects findings; zero fields select all.
type FindingQuery struct {
	Commune, Rule, Citizen string
	States                 []string
	Limit                  int
}

// Finding is one data-quality finding.
type Finding struct {
	ID                        uint64
	Rule                      string
	Citizen, Other, Household string
	Commune                   string
	Fields                    []string
	Evidence                  []i18n.Statement // what the rule found, said in the page's language
	Chip, Assurance           string           // a card read's: what the card stated, how it was read
	Node, Read                string           // who found it: "city" (the rules) or an edge; the read's change
	Found                     time.Time
	State, Reason, By         string
	Changed                   time.Time
}

// CitizenRecord is a record as the city holds it, with its findings.
type CitizenRecord struct {
	ID         string
	Fields     map[string]string
	Findings   []Finding
	MergedInto string // a retired duplicate: the record it was merged into
}

// quality returns the Fleet's Quality, if it has one.
func (s *Server) quality() (Quality, bool) {
	q, ok := s.cfg.Fleet.(Quality)
	return q, ok
}

// communeRank orders communes problems first: most findings needing
// attention per thousand records, then the code.
func communeRank(fs []QualityFigures) {
	rate := func(f QualityFigures) float64 {
		return float64(f.Active("")) * 1000 / float64(max(1, f.Citizens))
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if a, b := rate(fs[i]), rate(fs[j]); a != b {
			return a > b
		}
		return fs[i].Commune < fs[j].Commune
	})
}

// completenessFields are the fields whose completeness the pages show, in
// the order of the record.
var completenessFields = []string{"full_name", "birth_date", "sex", "nationality", "ethnicity", "religion", "birth_place",
	"hometown", "permanent_address", "current_address", "household", "relation", "father_name", "mother_name",
	"old_id", "card_number", "card_issued"}

// requiredFields are those the required rule asks of every living record:
// the completeness figure of a commune is their mean.
var requiredFields = []string{"full_name", "birth_date", "sex", "nationality", "permanent_address"}

// completeness is the mean completeness of the required fields, in percent.
func completeness(f QualityFigures) float64 {
	sum := 0.0
	for _, x := range requiredFields {
		sum += f.Complete(x)
	}
	return sum / float64(len(requiredFields))
}
